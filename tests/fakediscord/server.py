"""FakeDiscord: the local Discord the real discord.py client talks to in end-to-end tests."""

# Waiting helpers take an explicit timeout: that is the API the e2e tests read best.
# ruff: noqa: ASYNC109

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from tests.fakediscord import interactions as ix
from tests.fakediscord import permissions as p
from tests.fakediscord.gateway import GUILD_MEMBERS, MESSAGE_CONTENT, PRIVILEGED, Gateway
from tests.fakediscord.interactions import InteractionHandle, OptionBuilder
from tests.fakediscord.messages import (
    EPHEMERAL,
    LOADING,
    MessageStore,
    StoredAttachment,
    StoredMessage,
)
from tests.fakediscord.recording import (
    ChangeNotifier,
    FaultRule,
    RecordedFile,
    RecordedRequest,
    RequestLog,
)
from tests.fakediscord.rest import RestApi
from tests.fakediscord.world import (
    Channel,
    Guild,
    IdLike,
    Json,
    Member,
    Role,
    User,
    World,
    id_of,
    iso_now,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
# GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED: an unverified bot in <100 guilds.
DEFAULT_APPLICATION_FLAGS = (1 << 15) | (1 << 19)
_MENTION = re.compile(r"<@!?(\d+)>")


class CommandNotAvailable(Exception):
    """Discord would not show this command to this user here (contexts or default permissions)."""


class FakeDiscord:
    """A local Discord: REST under ``http_url + "/api/v10"`` and a gateway at ``ws_url``.

    The default world has one guild (``fake.guild``) with users ``admin`` (owner, role
    "Admins" with Manage Server), ``moderator`` (role "Moderators"), ``member``, ``member2``
    and the bot; text channels ``general``, ``support``, ``mod-alerts`` (private to
    Moderators/Admins and the bot) and ``vents``.
    """

    def __init__(
        self,
        *,
        bot_name: str = "Haven",
        guild_name: str = "Haven Test Server",
        host: str = "127.0.0.1",
        enforce_intents: bool = True,
        allowed_privileged_intents: int = PRIVILEGED,
        echo_bot_messages: bool = True,
    ) -> None:
        self.host = host
        self.enforce_intents = enforce_intents
        self.allowed_privileged_intents = allowed_privileged_intents
        self.echo_bot_messages = echo_bot_messages
        self.token = "fake-token." + secrets.token_urlsafe(24)
        self.world = World(bot_name=bot_name)
        self.bot: User = self.world.bot
        self.application_id: int = self.bot.id
        self.application_flags: int = DEFAULT_APPLICATION_FLAGS
        self.messages = MessageStore()
        self.attachments: dict[int, StoredAttachment] = {}
        self.log = RequestLog()
        self.faults: list[FaultRule] = []
        self.blocked_dm_user_ids: set[int] = set()
        self.internal_errors: list[str] = []
        # guild id (None = global) -> command id -> command payload
        self.commands: dict[int | None, dict[int, Json]] = {}
        self.interactions: dict[int, InteractionHandle] = {}
        self.gateway = Gateway(self)
        self._notifier = ChangeNotifier()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self.users: dict[str, User] = {"bot": self.bot}
        self.channels: dict[str, Channel] = {}
        self.roles: dict[str, Role] = {}
        self.guild: Guild = self._build_default_world(guild_name)

    # -- world building ---------------------------------------------------------
    def _build_default_world(self, guild_name: str) -> Guild:
        w = self.world
        admin = self.add_user("admin")
        self.users["owner"] = admin
        guild = w.new_guild(guild_name, admin)
        self.guild = guild
        for role in guild.roles.values():
            self.roles[role.name] = role
        moderators = self.add_role(
            "Moderators",
            p.MODERATE_MEMBERS | p.MANAGE_MESSAGES | p.KICK_MEMBERS | p.MANAGE_THREADS,
        )
        admins = self.add_role(
            "Admins", p.MANAGE_GUILD | p.MANAGE_CHANNELS | p.MANAGE_ROLES | p.MODERATE_MEMBERS
        )
        guild.members[admin.id].roles = [admins.id]
        self.add_member(self.add_user("moderator"), roles=[moderators])
        self.add_member(self.add_user("member"))
        self.add_member(self.add_user("member2"))
        w.add_bot_member(guild)
        self.add_channel("general", topic="Say hello")
        self.add_channel("support")
        self.add_channel("mod-alerts", private=True, allow_roles=[moderators, admins])
        self.add_channel("vents")
        return guild

    def add_user(self, key: str, username: str | None = None, *, bot: bool = False) -> User:
        """A new user, also reachable as ``fake.users[key]`` (not a guild member yet)."""
        user = self.world.add_user(username or key, bot=bot)
        self.users[key] = user
        return user

    def add_member(
        self, user: IdLike, *, guild: Guild | None = None, roles: Sequence[Role] = ()
    ) -> Member:
        """Make a user a member of a guild (default guild) without telling the bot; see member_join."""
        target = guild or self.guild
        return self.world.add_member(target, self.world.user(id_of(user)), list(roles))

    def add_role(self, name: str, permissions: int = 0, *, guild: Guild | None = None) -> Role:
        target = guild or self.guild
        role = self.world.add_role(target, name, permissions)
        if target is self.guild:
            self.roles[name] = role
        return role

    def add_channel(
        self,
        name: str,
        *,
        guild: Guild | None = None,
        private: bool = False,
        allow_roles: Sequence[Role] = (),
        topic: str | None = None,
    ) -> Channel:
        target = guild or self.guild
        channel = self.world.add_channel(
            target, name, private=private, allow_roles=list(allow_roles), topic=topic
        )
        if target is self.guild:
            self.channels[name] = channel
        return channel

    def new_guild(self, name: str, owner: IdLike) -> Guild:
        """A second guild (with @everyone, the bot's role, a ``general`` channel); the bot is not
        in it until ``await fake.join_guild(guild)``."""
        guild = self.world.new_guild(name, self.world.user(id_of(owner)))
        self.world.add_channel(guild, "general")
        return guild

    def dm_channel(self, user: IdLike) -> Channel:
        """The (stable) DM channel between the bot and ``user``."""
        return self.world.dm_channel(self.world.user(id_of(user)))

    def member(self, user: IdLike, guild: Guild | None = None) -> Member:
        return (guild or self.guild).members[id_of(user)]

    # -- lifecycle --------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        rest = RestApi(self)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{id}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", rest.handle)
        app.router.add_route("*", "/{tail:.*}", rest.handle_unversioned)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return f"{self.http_url}/api/v10"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self._port}/gateway"

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        attachment = self.attachments.get(int(request.match_info["id"]))
        if attachment is None:
            return web.Response(status=404)
        return web.Response(body=attachment.data, headers={"Content-Type": attachment.content_type})

    # -- waiting and recording --------------------------------------------------
    def changed(self) -> None:
        """Wake waiters: called after every handled request and gateway change."""
        self._notifier.notify()

    async def wait_until(
        self, predicate: Callable[[], T | None], timeout: float = 10.0, *, what: str = "condition"
    ) -> T:
        """Wait until ``predicate()`` is truthy and return its value (re-checked on every change)."""

        def describe() -> str:
            extra = f"\ninternal errors: {self.internal_errors}" if self.internal_errors else ""
            return f"timed out after {timeout}s waiting for {what}\n{self.log.describe_recent()}{extra}"

        return await self._notifier.wait_until(predicate, timeout, describe)

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.log.requests

    def mark(self) -> int:
        """Index to pass as ``since=`` to only consider requests made after this point."""
        return len(self.log.requests)

    def requests_to(
        self,
        method: str | None,
        path_regex: str,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        *,
        since: int = 0,
    ) -> list[RecordedRequest]:
        """Handled requests whose method matches (None/"*" = any) and path fullmatches the regex."""
        return self.log.matching(method, path_regex, predicate, since=since)

    async def wait_for_request(
        self,
        method: str | None,
        path_regex: str,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 10.0,
        *,
        since: int = 0,
    ) -> RecordedRequest:
        """The first matching request (already made or future), once the fake has answered it."""

        def first() -> RecordedRequest | None:
            found = self.log.matching(method, path_regex, predicate, since=since)
            return found[0] if found else None

        return await self.wait_until(first, timeout, what=f"{method} {path_regex}")

    @property
    def unknown_routes(self) -> list[RecordedRequest]:
        return [r for r in self.log.requests if not r.handled]

    # -- reading messages -------------------------------------------------------
    def message(self, message: IdLike) -> StoredMessage:
        found = self.messages.get(id_of(message))
        if found is None:
            raise KeyError(f"no message {id_of(message)}")
        return found

    def messages_in(
        self, channel: IdLike, *, bot_only: bool = True, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """Messages in a channel, oldest first (by default only the bot's, including
        interaction responses and ephemeral ones; check ``.ephemeral``)."""
        found = self.messages.in_channel(id_of(channel), include_deleted=include_deleted)
        return [m for m in found if not bot_only or m.author.id == self.bot.id]

    def dms_to(self, user: IdLike, *, include_deleted: bool = False) -> list[StoredMessage]:
        """What the bot sent to ``user`` by DM, oldest first."""
        channel = self.world.dm_channels.get(id_of(user))
        if channel is None:
            return []
        return self.messages_in(channel.id, include_deleted=include_deleted)

    async def wait_for_message(
        self,
        channel: IdLike,
        predicate: Callable[[StoredMessage], bool] | None = None,
        timeout: float = 10.0,
        *,
        since: int = 0,
    ) -> StoredMessage:
        """The first bot message in ``channel`` (index >= ``since`` in messages_in) matching."""

        def first() -> StoredMessage | None:
            for m in self.messages_in(channel)[since:]:
                if predicate is None or predicate(m):
                    return m
            return None

        return await self.wait_until(
            first, timeout, what=f"a bot message in channel {id_of(channel)}"
        )

    async def wait_for_dm(
        self,
        user: IdLike,
        predicate: Callable[[StoredMessage], bool] | None = None,
        timeout: float = 10.0,
        *,
        since: int = 0,
    ) -> StoredMessage:
        def first() -> StoredMessage | None:
            for m in self.dms_to(user)[since:]:
                if predicate is None or predicate(m):
                    return m
            return None

        return await self.wait_until(first, timeout, what=f"a DM to user {id_of(user)}")

    # -- registered commands ----------------------------------------------------
    def registered_commands(self, guild: IdLike | None = None) -> list[Json]:
        """Commands the bot registered globally (guild None) or for one guild."""
        key = None if guild is None else id_of(guild)
        return list(self.commands.get(key, {}).values())

    def find_command(self, name: str, *, guild_id: int | None, type: int = 1) -> Json:
        scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for command in self.commands.get(scope, {}).values():
                if command["name"] == name and command.get("type", 1) == type:
                    return command
        known = sorted({c["name"] for s in scopes for c in self.commands.get(s, {}).values()})
        raise LookupError(f"no registered command {name!r} (type {type}); registered: {known}")

    # -- gateway control --------------------------------------------------------
    @property
    def identify_count(self) -> int:
        return len(self.gateway.identify_payloads)

    @property
    def connected(self) -> bool:
        return self.gateway.connected

    async def wait_until_identified(self, count: int = 1, timeout: float = 30.0) -> Json:
        """Wait for the ``count``-th IDENTIFY (and its READY sent); returns that IDENTIFY payload."""
        await self.wait_until(
            lambda: self.identify_count >= count and self.gateway.connected,
            timeout,
            what=f"IDENTIFY #{count}",
        )
        return self.gateway.identify_payloads[count - 1]

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the gateway socket; discord.py reconnects and RESUMEs (see gateway.resume_payloads)."""
        await self.gateway.drop(code)
        self.changed()

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9; with ``resumable=False`` discord.py forgets the session and IDENTIFYs again."""
        await self.gateway.send_op(9, resumable)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT (discord.py closes and RESUMEs)."""
        await self.gateway.send_op(7, None)

    async def dispatch(self, event: str, data: Json) -> bool:
        """Send any raw gateway event; returns False if the bot's intents filter it out."""
        delivered = await self.gateway.dispatch(event, data)
        self.changed()
        return delivered

    def guild_create_payload(self, guild_id: int, *, new_join: bool = False) -> Json:
        """GUILD_CREATE data. After READY a guild comes with ``unavailable: false``
        (discord.py: guild_available); a guild just joined has no ``unavailable`` key
        (discord.py: guild_join)."""
        guild = self.world.guilds[guild_id]
        member_ids: list[int] | None = None
        if self.enforce_intents and not self.gateway.intents & GUILD_MEMBERS:
            member_ids = [self.bot.id]  # without GUILD_MEMBERS Discord only sends the bot itself
        payload = guild.to_payload(member_ids=member_ids)
        if new_join:
            del payload["unavailable"]
        return payload

    # -- guild membership events ------------------------------------------------
    async def join_guild(self, guild: Guild) -> None:
        """The bot is added to ``guild``: GUILD_CREATE."""
        self.world.add_bot_member(guild)
        await self.dispatch("GUILD_CREATE", self.guild_create_payload(guild.id, new_join=True))

    async def leave_guild(self, guild: Guild) -> None:
        """The bot is removed from ``guild``: GUILD_DELETE without ``unavailable``."""
        self._remove_bot_from(guild)
        await self.dispatch("GUILD_DELETE", {"id": str(guild.id)})

    def _remove_bot_from(self, guild: Guild) -> None:
        guild.members.pop(self.bot.id, None)
        self.world.bot_guild_ids.discard(guild.id)

    async def member_join(
        self, user: IdLike, *, guild: Guild | None = None, roles: Sequence[Role] = ()
    ) -> Member:
        target = guild or self.guild
        member = self.add_member(user, guild=target, roles=roles)
        await self.dispatch("GUILD_MEMBER_ADD", member.to_payload() | {"guild_id": str(target.id)})
        return member

    async def member_leave(self, user: IdLike, *, guild: Guild | None = None) -> None:
        target = guild or self.guild
        member = target.members.pop(id_of(user))
        await self.dispatch(
            "GUILD_MEMBER_REMOVE", {"guild_id": str(target.id), "user": member.user.to_payload()}
        )

    # -- messages from fake users -----------------------------------------------
    async def send_message(
        self,
        channel: IdLike,
        author: IdLike,
        content: str,
        *,
        embeds: Sequence[Json] = (),
        attachments: Sequence[tuple[str, bytes]] = (),
        reply_to: IdLike | None = None,
    ) -> StoredMessage:
        """A user posts in a guild channel, thread or DM channel: MESSAGE_CREATE."""
        target = self._channel(channel)
        user = self.world.user(id_of(author))
        guild = self.world.guild_of_channel(target.id)
        if guild is not None and user.id not in guild.members:
            raise ValueError(f"{user.username} is not a member of {guild.name}")
        message = StoredMessage(
            id=self.world.ids.next(),
            channel_id=target.id,
            guild_id=guild.id if guild else None,
            author=user,
            content=content,
            embeds=list(embeds),
            attachments=[self._new_attachment(name, data) for name, data in attachments],
        )
        if reply_to is not None:
            message.message_reference = {
                "type": 0,
                "message_id": str(id_of(reply_to)),
                "channel_id": str(target.id),
                **({"guild_id": str(guild.id)} if guild else {}),
            }
        self._store_message(message)
        await self.dispatch("MESSAGE_CREATE", self.message_event_payload(message))
        return message

    async def send_dm(self, author: IdLike, content: str) -> StoredMessage:
        """A user DMs the bot."""
        return await self.send_message(self.dm_channel(author), author, content)

    def _new_attachment(
        self, filename: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> StoredAttachment:
        attachment = StoredAttachment(self.world.ids.next(), filename, data, content_type)
        self.attachments[attachment.id] = attachment
        return attachment

    def _store_message(self, message: StoredMessage) -> None:
        self.messages.add(message)
        channel = self.world.find_channel(message.channel_id)
        if channel is not None:
            channel.last_message_id = message.id

    def _channel(self, channel: IdLike) -> Channel:
        found = self.world.find_channel(id_of(channel))
        if found is None:
            raise KeyError(f"unknown channel {id_of(channel)}")
        return found

    def message_event_payload(self, message: StoredMessage) -> Json:
        """MESSAGE_CREATE/UPDATE data as the bot would see it (message content intent applied)."""
        payload = message.to_payload(self.http_url, application_id=self.application_id)
        mentioned = [int(m) for m in _MENTION.findall(message.content)]
        guild = self.world.guilds.get(message.guild_id) if message.guild_id else None
        mentions = []
        for user_id in mentioned:
            user = self.world.users_by_id.get(user_id)
            if user is None:
                continue
            entry = user.to_payload()
            if guild is not None and user_id in guild.members:
                entry["member"] = guild.member_payload(user_id, with_user=False)
            mentions.append(entry)
        payload["mentions"] = mentions
        payload["mention_roles"] = re.findall(r"<@&(\d+)>", message.content)
        if guild is not None and message.author.id in guild.members:
            payload["member"] = guild.member_payload(message.author.id, with_user=False)
        hidden = (
            self.enforce_intents
            and not self.gateway.intents & MESSAGE_CONTENT
            and guild is not None
            and message.author.id != self.bot.id
            and self.bot.id not in mentioned
        )
        if hidden:
            payload.update(content="", embeds=[], attachments=[], components=[])
        return payload

    # -- messages from the bot (used by the REST handlers) ----------------------
    def files_to_attachments(
        self, payload: Json, files: list[RecordedFile], existing: list[StoredAttachment]
    ) -> list[StoredAttachment]:
        """Resolve ``attachments`` of a send/edit payload: kept old ones + uploaded ``files[n]``."""
        by_index = {}
        for f in files:
            found = re.fullmatch(r"files\[(\d+)\]", f.field_name)
            by_index[int(found.group(1)) if found else len(by_index)] = f
        spec = payload.get("attachments")
        if spec is None:
            return [*existing, *(self._upload(f, None) for f in by_index.values())]
        kept = {a.id: a for a in existing}
        result: list[StoredAttachment] = []
        for entry in spec:
            entry_id = int(entry["id"])
            if entry_id in kept:
                result.append(kept[entry_id])
            elif entry_id in by_index:
                result.append(self._upload(by_index.pop(entry_id), entry))
        result.extend(self._upload(f, None) for f in by_index.values())
        return result

    def _upload(self, f: RecordedFile, entry: Json | None) -> StoredAttachment:
        attachment = self._new_attachment(
            (entry or {}).get("filename") or f.filename, f.data, f.content_type
        )
        attachment.description = (entry or {}).get("description")
        return attachment

    async def create_bot_message(
        self,
        channel: Channel,
        payload: Json,
        files: list[RecordedFile],
        *,
        interaction: InteractionHandle | None = None,
        extra_flags: int = 0,
    ) -> StoredMessage:
        guild = self.world.guild_of_channel(channel.id)
        message = StoredMessage(
            id=self.world.ids.next(),
            channel_id=channel.id,
            guild_id=guild.id if guild else None,
            author=self.bot,
            content=payload.get("content") or "",
            embeds=list(payload.get("embeds") or []),
            components=list(payload.get("components") or []),
            attachments=self.files_to_attachments(payload, files, []),
            flags=int(payload.get("flags") or 0) | extra_flags,
            message_reference=payload.get("message_reference"),
            sent_payload=payload,
        )
        if interaction is not None:
            message.interaction_id = interaction.id
            message.interaction_user = interaction.user
            message.interaction_type = interaction.type
            message.webhook_id = self.application_id
        self._store_message(message)
        if self.echo_bot_messages and not message.ephemeral:
            await self.dispatch("MESSAGE_CREATE", self.message_event_payload(message))
        return message

    async def edit_bot_message(
        self, message: StoredMessage, payload: Json, files: list[RecordedFile]
    ) -> StoredMessage:
        was_loading = message.loading
        message.edits.append(message.snapshot())
        if "content" in payload:
            message.content = payload["content"] or ""
        if "embeds" in payload:
            message.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            message.components = list(payload["components"] or [])
        if "attachments" in payload or files:
            message.attachments = self.files_to_attachments(payload, files, message.attachments)
        if payload.get("flags") is not None:
            keep = message.flags & EPHEMERAL
            message.flags = (int(payload["flags"]) & ~(EPHEMERAL | LOADING)) | keep
        message.flags &= ~LOADING
        if not was_loading:
            message.edited_timestamp = iso_now()
        if self.echo_bot_messages and not message.ephemeral:
            await self.dispatch("MESSAGE_UPDATE", self.message_event_payload(message))
        return message

    async def delete_message(self, message: StoredMessage) -> None:
        message.deleted = True
        if self.echo_bot_messages and not message.ephemeral:
            data: Json = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if message.guild_id is not None:
                data["guild_id"] = str(message.guild_id)
            await self.dispatch("MESSAGE_DELETE", data)

    # -- interactions -----------------------------------------------------------
    async def _interact(
        self,
        type: int,
        data: Json,
        user: IdLike,
        channel: IdLike,
        *,
        message: StoredMessage | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        target = self._channel(channel)
        author = self.world.user(id_of(user))
        guild = self.world.guild_of_channel(target.id)
        interaction_id = self.world.ids.next()
        token = "itoken." + secrets.token_urlsafe(32)
        channel_payload = target.to_payload()
        payload: Json = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": type,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel": channel_payload,
            "channel_id": str(target.id),
        }
        if guild is not None:
            if author.id not in guild.members:
                raise ValueError(f"{author.username} is not a member of {guild.name}")
            channel_payload["permissions"] = str(guild.permissions_for(author.id, target.id))
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
                guild_locale=guild.preferred_locale,
                member=guild.member_payload(author.id, channel_id=target.id),
                app_permissions=str(guild.permissions_for(self.bot.id, target.id)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=author.to_payload(),
                app_permissions=str(p.EVERYONE_DEFAULT),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if message is not None:
            payload["message"] = message.to_payload(
                self.http_url, application_id=self.application_id
            )
        handle = InteractionHandle(
            self,
            id=interaction_id,
            token=token,
            type=type,
            payload=payload,
            user=author,
            guild_id=guild.id if guild else None,
            channel_id=target.id,
            original_message_id=message.id if message is not None else None,
        )
        self.interactions[interaction_id] = handle
        await self.dispatch("INTERACTION_CREATE", payload)
        return handle

    def interaction_by_token(self, token: str) -> InteractionHandle | None:
        for handle in self.interactions.values():
            if handle.token == token:
                return handle
        return None

    def _command_for(
        self, name: str, user: User, channel: Channel, *, type: int, check_permissions: bool
    ) -> Json:
        guild = self.world.guild_of_channel(channel.id)
        command = self.find_command(name, guild_id=guild.id if guild else None, type=type)
        context = 0 if guild is not None else 1
        contexts = command.get("contexts")
        if contexts is not None and context not in contexts:
            raise CommandNotAvailable(f"/{name} is not available in context {context} ({contexts})")
        if guild is None and contexts is None and command.get("dm_permission") is False:
            raise CommandNotAvailable(f"/{name} is not available in DMs")
        required = command.get("default_member_permissions")
        if check_permissions and guild is not None and required is not None:
            have = guild.permissions_for(user.id, channel.id)
            if int(required) & ~have:
                raise CommandNotAvailable(
                    f"{user.username} lacks default_member_permissions {required} for /{name}"
                )
        return command

    async def invoke_command(
        self,
        name: str,
        user: IdLike,
        *,
        channel: IdLike | None = None,
        options: Mapping[str, Any] | None = None,
        locale: str = "en-US",
        check_permissions: bool = True,
    ) -> InteractionHandle:
        """Run a slash command, e.g. ``invoke_command("setup alerts", admin, options={...})``.

        ``name`` is the command followed by its subcommand group/subcommand. Option values may
        be ints/strings/bools or fake objects (User, Channel, Role; ``(filename, bytes)`` for
        attachments). ``channel`` defaults to #general; a DM channel makes it a DM invocation.
        Raises CommandNotAvailable when Discord would hide the command (its
        default_member_permissions or contexts), unless ``check_permissions=False`` (a server
        admin may override command permissions in the integration settings)."""
        root, *path = name.split()
        target = self._channel(channel if channel is not None else self.channels["general"])
        author = self.world.user(id_of(user))
        command = self._command_for(
            root, author, target, type=1, check_permissions=check_permissions
        )
        builder = OptionBuilder(self, self.world.guild_of_channel(target.id), target.id)
        data: Json = {
            "id": command["id"],
            "name": root,
            "type": 1,
            "options": builder.build(command, path, options or {}),
        }
        if builder.resolved:
            data["resolved"] = builder.resolved
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return await self._interact(ix.APPLICATION_COMMAND, data, author, target, locale=locale)

    async def autocomplete(
        self,
        name: str,
        user: IdLike,
        *,
        focused: str,
        value: str = "",
        options: Mapping[str, Any] | None = None,
        channel: IdLike | None = None,
    ) -> InteractionHandle:
        """The user is typing ``value`` into option ``focused``; await ``.wait_response()`` for
        ``.choices``."""
        root, *path = name.split()
        target = self._channel(channel if channel is not None else self.channels["general"])
        author = self.world.user(id_of(user))
        command = self._command_for(root, author, target, type=1, check_permissions=False)
        builder = OptionBuilder(self, self.world.guild_of_channel(target.id), target.id)
        values = {**(options or {}), focused: value}
        data: Json = {
            "id": command["id"],
            "name": root,
            "type": 1,
            "options": builder.build(command, path, values, focused=focused),
        }
        return await self._interact(ix.AUTOCOMPLETE, data, author, target)

    async def invoke_user_command(
        self, name: str, target_user: IdLike, user: IdLike, *, channel: IdLike | None = None
    ) -> InteractionHandle:
        """A user context-menu command (Apps → name) on ``target_user``."""
        target = self._channel(channel if channel is not None else self.channels["general"])
        author = self.world.user(id_of(user))
        command = self._command_for(name, author, target, type=2, check_permissions=True)
        builder = OptionBuilder(self, self.world.guild_of_channel(target.id), target.id)
        target_id = builder.resolve_user(target_user)
        data = {
            "id": command["id"],
            "name": name,
            "type": 2,
            "target_id": target_id,
            "resolved": builder.resolved,
        }
        return await self._interact(ix.APPLICATION_COMMAND, data, author, target)

    async def invoke_message_command(
        self, name: str, target_message: IdLike, user: IdLike
    ) -> InteractionHandle:
        """A message context-menu command (Apps → name) on a stored message."""
        message = self.message(target_message)
        target = self._channel(message.channel_id)
        author = self.world.user(id_of(user))
        command = self._command_for(name, author, target, type=3, check_permissions=True)
        message_payload = self.message_event_payload(message)
        message_payload.pop("member", None)
        data = {
            "id": command["id"],
            "name": name,
            "type": 3,
            "target_id": str(message.id),
            "resolved": {"messages": {str(message.id): message_payload}},
        }
        return await self._interact(ix.APPLICATION_COMMAND, data, author, target)

    def _component(self, message: StoredMessage, custom_id: str) -> Json:
        found: list[Json] = []

        def walk(items: list[Any]) -> None:
            for item in items:
                if not isinstance(item, dict):
                    continue
                if item.get("custom_id") == custom_id:
                    found.append(item)
                walk(item.get("components", []))
                for key in ("component", "accessory"):
                    if isinstance(item.get(key), dict):
                        walk([item[key]])

        walk(message.components)
        if not found:
            raise ValueError(
                f"message {message.id} has no component {custom_id!r}; it has {message.custom_ids}"
            )
        if found[0].get("disabled"):
            raise ValueError(f"component {custom_id!r} on message {message.id} is disabled")
        return found[0]

    async def click_button(
        self, message: IdLike, custom_id: str, user: IdLike
    ) -> InteractionHandle:
        """Click a button on a stored message (as it is now, after any edits)."""
        stored = self.message(message)
        component = self._component(stored, custom_id)
        if component.get("type") != 2:
            raise ValueError(f"component {custom_id!r} is not a button")
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(
            ix.MESSAGE_COMPONENT, data, user, stored.channel_id, message=stored
        )

    async def select(
        self, message: IdLike, custom_id: str, values: Sequence[Any], user: IdLike
    ) -> InteractionHandle:
        """Choose ``values`` in a select menu (string values, or users/roles/channels for the
        typed selects)."""
        stored = self.message(message)
        component = self._component(stored, custom_id)
        ctype = int(component["type"])
        if ctype not in (3, 5, 6, 7, 8):
            raise ValueError(f"component {custom_id!r} is not a select menu")
        data: Json = {"custom_id": custom_id, "component_type": ctype}
        if ctype == 3:
            allowed = {o["value"] for o in component.get("options", [])}
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(
                    f"select {custom_id!r} has no options {bad}; options: {sorted(allowed)}"
                )
            data["values"] = [str(v) for v in values]
        else:
            guild = self.world.guild_of_channel(stored.channel_id)
            builder = OptionBuilder(self, guild, stored.channel_id)
            resolved_values = []
            for value in values:
                if isinstance(value, Role):
                    resolved_values.append(builder.resolve_role(value))
                elif isinstance(value, Channel):
                    resolved_values.append(builder.resolve_channel(value))
                else:
                    resolved_values.append(builder.resolve_user(value))
            data["values"] = resolved_values
            data["resolved"] = builder.resolved
        return await self._interact(
            ix.MESSAGE_COMPONENT, data, user, stored.channel_id, message=stored
        )

    def last_modal(self, custom_id: str) -> tuple[InteractionHandle, Json] | None:
        for handle in reversed(list(self.interactions.values())):
            modal = handle.modal
            if modal is not None and modal.get("custom_id") == custom_id:
                return handle, modal
        return None

    async def submit_modal(
        self,
        custom_id: str,
        fields: Mapping[str, Any],
        user: IdLike,
        *,
        channel: IdLike | None = None,
        origin: InteractionHandle | None = None,
    ) -> InteractionHandle:
        """Submit a modal: ``fields`` maps input custom_id -> text (or list of values for
        selects). The layout mirrors the modal opened by ``origin`` (default: the last modal
        the bot opened with this custom_id); the channel defaults to where it was opened."""
        modal: Json | None = None
        if origin is None:
            found = self.last_modal(custom_id)
            if found is not None:
                origin, modal = found
        else:
            modal = origin.modal
        if channel is None:
            channel = origin.channel_id if origin is not None else self.channels["general"]
        target = self._channel(channel)
        builder = OptionBuilder(self, self.world.guild_of_channel(target.id), target.id)
        data: Json = {
            "custom_id": custom_id,
            "components": ix.modal_submit_components(modal, fields, builder),
        }
        if builder.resolved:
            data["resolved"] = builder.resolved
        message = None
        if (
            origin is not None
            and origin.type == ix.MESSAGE_COMPONENT
            and origin.original_message_id
        ):
            message = self.messages.get(origin.original_message_id)
        return await self._interact(ix.MODAL_SUBMIT, data, user, channel, message=message)

    # -- failure injection ------------------------------------------------------
    def fail_dms_to(self, user: IdLike) -> None:
        """Sending a DM to ``user`` fails with 403 / 50007 (DMs closed or bot blocked)."""
        self.blocked_dm_user_ids.add(id_of(user))

    def allow_dms_to(self, user: IdLike) -> None:
        self.blocked_dm_user_ids.discard(id_of(user))

    def fail_route(
        self,
        method: str | None,
        path_regex: str,
        *,
        status: int = 500,
        times: int | None = 1,
        body: Json | None = None,
        retry_after: float = 0.05,
    ) -> FaultRule:
        """Answer the next ``times`` matching requests with ``status`` (429 carries retry_after,
        which discord.py sleeps then retries; 500 is retried after 1 s, 3 s, ...)."""
        rule = FaultRule(
            method, path_regex, status=status, body=body, times=times, retry_after=retry_after
        )
        self.faults.append(rule)
        return rule

    def delay_route(
        self, method: str | None, path_regex: str, seconds: float, *, times: int | None = None
    ) -> FaultRule:
        """Delay matching requests by ``seconds`` before answering normally."""
        rule = FaultRule(method, path_regex, delay=seconds, times=times)
        self.faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        self.faults.clear()
        self.blocked_dm_user_ids.clear()
