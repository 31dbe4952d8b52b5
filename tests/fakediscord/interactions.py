"""Interactions the fake sends to the bot, and what the bot answered to them."""

# Waiting helpers take an explicit timeout: that is the API the e2e tests read best.
# ruff: noqa: ASYNC109

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakediscord.messages import EPHEMERAL, StoredAttachment, StoredMessage
from tests.fakediscord.recording import RecordedFile
from tests.fakediscord.world import Channel, Guild, Json, Role, User, id_of

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

# Interaction types
PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Callback (response) types
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

# Application command option types
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
MENTIONABLE = 9
NUMBER = 10
ATTACHMENT = 11


@dataclass(slots=True)
class InteractionResponse:
    """The bot's callback to an interaction (POST /interactions/{id}/{token}/callback)."""

    type: int
    data: Json
    files: list[RecordedFile] = field(default_factory=list)
    message_id: int | None = None

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def embeds(self) -> list[Json]:
        return self.data.get("embeds") or []

    @property
    def components(self) -> list[Json]:
        return self.data.get("components") or []

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def deferred(self) -> bool:
        return self.type in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE)

    @property
    def choices(self) -> list[Json]:
        """Autocomplete choices (type 8)."""
        return self.data.get("choices") or []

    @property
    def file_names(self) -> list[str]:
        return [f.filename for f in self.files]


class InteractionHandle:
    """One interaction sent to the bot. Await its response, read its messages, submit its modal."""

    def __init__(
        self,
        fake: FakeDiscord,
        *,
        id: int,
        token: str,
        type: int,
        payload: Json,
        user: User,
        guild_id: int | None,
        channel_id: int,
        original_message_id: int | None = None,
    ) -> None:
        self._fake = fake
        self.id = id
        self.token = token
        self.type = type
        self.payload = payload
        self.user = user
        self.guild_id = guild_id
        self.channel_id = channel_id
        # For component interactions @original is the message that carries the component.
        self.original_message_id = original_message_id
        self.callbacks: list[InteractionResponse] = []
        self.followup_ids: list[int] = []

    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id} type={self.type} responded={bool(self.callbacks)}>"

    # -- reading ----------------------------------------------------------------
    @property
    def response(self) -> InteractionResponse | None:
        return self.callbacks[0] if self.callbacks else None

    @property
    def original(self) -> StoredMessage | None:
        if self.original_message_id is None:
            return None
        return self._fake.messages.get(self.original_message_id)

    @property
    def followups(self) -> list[StoredMessage]:
        found = (self._fake.messages.get(i) for i in self.followup_ids)
        return [m for m in found if m is not None]

    @property
    def modal(self) -> Json | None:
        """The modal the bot opened (callback type 9 data), if any."""
        response = self.response
        return response.data if response is not None and response.type == MODAL else None

    # -- waiting ----------------------------------------------------------------
    async def wait_response(self, timeout: float = 10.0) -> InteractionResponse:
        return await self._fake.wait_until(
            lambda: self.response, timeout, what=f"a callback to interaction {self.id}"
        )

    async def wait_followups(self, count: int = 1, timeout: float = 10.0) -> list[StoredMessage]:
        return await self._fake.wait_until(
            lambda: self.followups if len(self.followups) >= count else None,
            timeout,
            what=f"{count} followup(s) to interaction {self.id}",
        )

    async def wait_original(
        self,
        predicate: Callable[[StoredMessage], bool] | None = None,
        timeout: float = 10.0,
    ) -> StoredMessage:
        """Wait until @original exists, is no longer "thinking…", and satisfies ``predicate``."""

        def check() -> StoredMessage | None:
            message = self.original
            if message is None or message.loading or not self.callbacks:
                return None
            return message if predicate is None or predicate(message) else None

        return await self._fake.wait_until(
            check, timeout, what=f"the original response of interaction {self.id}"
        )

    async def submit_modal(
        self, fields: Mapping[str, Any], *, user: User | None = None
    ) -> InteractionHandle:
        """Submit the modal this interaction opened, as the same user in the same place."""
        modal = self.modal
        if modal is None:
            raise AssertionError(f"interaction {self.id} did not open a modal: {self.response}")
        return await self._fake.submit_modal(
            modal["custom_id"],
            fields,
            user or self.user,
            channel=self.channel_id,
            origin=self,
        )


# -- payload building ----------------------------------------------------------------------


def modal_submit_components(
    modal: Json | None, fields: Mapping[str, Any], builder: OptionBuilder | None = None
) -> list[Json]:
    """Mirror the modal's layout (action rows or labels) with the submitted values filled in.

    Values: text inputs take str; string selects / checkbox groups take a list of option
    values; user/role/channel selects take fake objects or ids; radio groups a str; a
    checkbox a bool; file uploads a list of ``(filename, bytes)``. Typed values land in
    ``builder.resolved``."""
    if modal is None:
        return [
            {"type": 1, "components": [{"type": 4, "custom_id": cid, "value": value}]}
            for cid, value in fields.items()
        ]
    used: set[str] = set()

    def as_list(value: Any) -> list[Any]:
        return [value] if isinstance(value, str | int) or hasattr(value, "id") else list(value)

    def typed(ctype: int, value: Any) -> str:
        if builder is None:
            return str(id_of(value))
        if ctype == 6 or (ctype == 7 and isinstance(value, Role)):
            return builder.resolve_role(value)
        if ctype == 8:
            return builder.resolve_channel(value)
        if ctype == 19:
            return builder.resolve_attachment(value)
        return builder.resolve_user(value)

    def fill(component: Json) -> Json | None:
        custom_id = component.get("custom_id")
        ctype = component["type"]
        base: Json = {"type": ctype, "id": component.get("id", 0), "custom_id": custom_id}
        if custom_id is None:
            return None
        used.add(custom_id)
        value = fields.get(custom_id)
        if ctype == 4:  # text input
            base["value"] = str(value if value is not None else component.get("value") or "")
        elif ctype in (3, 22):  # string select, checkbox group
            base["values"] = [str(v) for v in as_list(value or [])]
        elif ctype in (5, 6, 7, 8, 19):  # typed selects, file upload
            items = (
                []
                if value is None
                else [value]
                if ctype == 19 and isinstance(value, tuple)
                else as_list(value)
            )
            base["values"] = [typed(ctype, v) for v in items]
        elif ctype == 21:  # radio group
            base["value"] = value
        elif ctype == 23:  # checkbox
            base["value"] = bool(value)
        else:
            used.discard(custom_id)
            return None
        return base

    out: list[Json] = []
    for top in modal.get("components", []):
        if top["type"] == 1:
            inner = [c for c in (fill(c) for c in top.get("components", [])) if c is not None]
            out.append({"type": 1, "id": top.get("id", 0), "components": inner})
        elif top["type"] == 18:  # label wrapping one component
            inner_one = fill(top["component"])
            if inner_one is not None:
                out.append({"type": 18, "id": top.get("id", 0), "component": inner_one})
        elif top["type"] == 10:  # text display: sent back as-is
            out.append({"type": 10, "id": top.get("id", 0)})
    unknown = set(fields) - used
    if unknown:
        raise ValueError(f"modal {modal.get('custom_id')!r} has no inputs {sorted(unknown)}")
    return out


class OptionBuilder:
    """Turn ``{"channel": fake.channels["x"], "count": 3}`` into command options + resolved data."""

    def __init__(self, fake: FakeDiscord, guild: Guild | None, channel_id: int) -> None:
        self._fake = fake
        self._guild = guild
        self._channel_id = channel_id
        self.resolved: dict[str, dict[str, Json]] = {}

    def build(
        self,
        command: Json,
        path: list[str],
        values: Mapping[str, Any],
        *,
        focused: str | None = None,
    ) -> list[Json]:
        schema: list[Json] = command.get("options") or []
        top: list[Json] = []
        container = top
        for segment in path:
            match = next(
                (
                    o
                    for o in schema
                    if o["name"] == segment and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
                ),
                None,
            )
            if match is None:
                names = [o["name"] for o in schema if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
                raise ValueError(
                    f"/{command['name']} has no subcommand {segment!r}; known: {names}"
                )
            node: Json = {"type": match["type"], "name": segment, "options": []}
            container.append(node)
            container = node["options"]
            schema = match.get("options") or []
        if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in schema):
            names = [o["name"] for o in schema]
            raise ValueError(f"/{command['name']} {' '.join(path)} needs a subcommand: {names}")
        by_name = {o["name"]: o for o in schema}
        for name, value in values.items():
            option = by_name.get(name)
            if option is None:
                raise ValueError(
                    f"/{command['name']} {' '.join(path)} has no option {name!r}; known: {list(by_name)}"
                )
            entry: Json = {
                "type": option["type"],
                "name": name,
                "value": self._convert(option, value),
            }
            if name == focused:
                entry["focused"] = True
                entry["value"] = str(value)
            container.append(entry)
        if focused is None:
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
            if missing:
                raise ValueError(
                    f"/{command['name']} {' '.join(path)} missing required options {missing}"
                )
        elif focused not in values:
            option = by_name.get(focused)
            if option is None:
                raise ValueError(f"no option {focused!r} to autocomplete")
            container.append(
                {"type": option["type"], "name": focused, "value": "", "focused": True}
            )
        return top

    def _convert(self, option: Json, value: Any) -> Any:
        kind = option["type"]
        if kind == STRING:
            return str(value)
        if kind == INTEGER:
            return int(value)
        if kind == NUMBER:
            return float(value)
        if kind == BOOLEAN:
            return bool(value)
        if kind == USER:
            return self.resolve_user(value)
        if kind == CHANNEL:
            return self.resolve_channel(value)
        if kind == ROLE:
            return self.resolve_role(value)
        if kind == MENTIONABLE:
            if isinstance(value, Role):
                return self.resolve_role(value)
            return self.resolve_user(value)
        if kind == ATTACHMENT:
            return self.resolve_attachment(value)
        return value

    def _bucket(self, name: str) -> dict[str, Json]:
        return self.resolved.setdefault(name, {})

    def resolve_user(self, value: Any) -> str:
        user = self._fake.world.user(id_of(value))
        self._bucket("users")[str(user.id)] = user.to_payload()
        guild = self._guild
        if guild is not None and user.id in guild.members:
            member = guild.member_payload(user.id, with_user=False, channel_id=self._channel_id)
            self._bucket("members")[str(user.id)] = member
        return str(user.id)

    def resolve_channel(self, value: Any) -> str:
        channel_id = id_of(value)
        channel: Channel | None = self._fake.world.find_channel(channel_id)
        if channel is None:
            raise ValueError(f"unknown channel {channel_id}")
        payload = {
            "id": str(channel.id),
            "name": channel.name,
            "type": channel.type,
            "parent_id": str(channel.parent_id) if channel.parent_id else None,
            "permissions": str(
                self._guild.permissions_for(self._fake.bot.id, channel.id) if self._guild else 0
            ),
        }
        if channel.is_thread:
            payload["thread_metadata"] = channel.to_payload()["thread_metadata"]
        self._bucket("channels")[str(channel.id)] = payload
        return str(channel.id)

    def resolve_role(self, value: Any) -> str:
        if self._guild is None:
            raise ValueError("role options need a guild")
        role = self._guild.roles[id_of(value)]
        self._bucket("roles")[str(role.id)] = role.to_payload()
        return str(role.id)

    def resolve_attachment(self, value: Any) -> str:
        if isinstance(value, StoredAttachment):
            attachment = value
        else:
            filename, data = value
            attachment = StoredAttachment(self._fake.world.ids.next(), filename, data)
        self._fake.attachments[attachment.id] = attachment
        self._bucket("attachments")[str(attachment.id)] = attachment.to_payload(self._fake.http_url)
        return str(attachment.id)
