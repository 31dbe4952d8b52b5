"""Messages stored by the fake: what the bot (and fake users) posted, with edit history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakediscord.world import Json, User, iso_now

EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass(slots=True)
class StoredAttachment:
    id: int
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    description: str | None = None

    def to_payload(self, base_url: str) -> Json:
        url = f"{base_url}/attachments/{self.id}/{self.filename}"
        payload: Json = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": url,
            "proxy_url": url,
            "content_type": self.content_type,
        }
        if self.description is not None:
            payload["description"] = self.description
        return payload


@dataclass(slots=True)
class StoredMessage:
    """One message as the fake Discord holds it; ``edits`` keeps every earlier version."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[Json] = field(default_factory=list)
    components: list[Json] = field(default_factory=list)
    attachments: list[StoredAttachment] = field(default_factory=list)
    flags: int = 0
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    interaction_id: int | None = None
    interaction_user: User | None = None
    interaction_type: int | None = None
    webhook_id: int | None = None
    message_reference: Json | None = None
    thread_id: int | None = None
    reactions: list[str] = field(default_factory=list)
    deleted: bool = False
    edits: list[Json] = field(default_factory=list)
    sent_payload: Json = field(default_factory=dict)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred interaction response ("thinking…") not yet filled in."""
        return bool(self.flags & LOADING)

    @property
    def author_id(self) -> int:
        return self.author.id

    @property
    def attachment_names(self) -> list[str]:
        return [a.filename for a in self.attachments]

    @property
    def custom_ids(self) -> list[str]:
        """Every component custom_id on the message (buttons, selects), in order."""
        found: list[str] = []

        def walk(items: list[Any]) -> None:
            for item in items:
                if not isinstance(item, dict):
                    continue
                if "custom_id" in item:
                    found.append(item["custom_id"])
                walk(item.get("components", []))
                if isinstance(item.get("component"), dict):
                    walk([item["component"]])
                if isinstance(item.get("accessory"), dict):
                    walk([item["accessory"]])

        walk(self.components)
        return found

    @property
    def embed_texts(self) -> list[str]:
        """Titles, descriptions and field names/values of all embeds (handy for assertions)."""
        texts: list[str] = []
        for embed in self.embeds:
            texts.extend(str(embed[k]) for k in ("title", "description") if embed.get(k))
            for fld in embed.get("fields", []):
                texts.extend([str(fld.get("name", "")), str(fld.get("value", ""))])
            footer = embed.get("footer") or {}
            if footer.get("text"):
                texts.append(str(footer["text"]))
        return texts

    def text(self) -> str:
        """Content plus all embed text joined: for 'the user was told X' assertions."""
        return "\n".join([self.content, *self.embed_texts])

    def snapshot(self) -> Json:
        return {
            "content": self.content,
            "embeds": list(self.embeds),
            "components": list(self.components),
            "attachments": [a.filename for a in self.attachments],
            "flags": self.flags,
            "edited_timestamp": self.edited_timestamp,
        }

    def to_payload(self, base_url: str, *, application_id: int | None = None) -> Json:
        payload: Json = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": 0 if self.message_reference is None or self.interaction_id else 19,
            "author": self.author.to_payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [a.to_payload(base_url) for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "flags": self.flags,
            "reactions": [
                {"count": 1, "me": True, "emoji": {"id": None, "name": name}, "burst_colors": []}
                for name in self.reactions
            ],
        }
        if self.guild_id is not None:
            payload["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            payload["webhook_id"] = str(self.webhook_id)
        if application_id is not None and self.interaction_id is not None:
            payload["application_id"] = str(application_id)
        if self.interaction_id is not None and self.interaction_user is not None:
            payload["type"] = 20 if self.interaction_type == 2 else 0
            payload["interaction_metadata"] = {
                "id": str(self.interaction_id),
                "type": self.interaction_type or 2,
                "user": self.interaction_user.to_payload(),
                "authorizing_integration_owners": {},
            }
        if self.message_reference is not None:
            payload["message_reference"] = self.message_reference
        return payload


class MessageStore:
    def __init__(self) -> None:
        self.by_id: dict[int, StoredMessage] = {}

    def add(self, message: StoredMessage) -> StoredMessage:
        self.by_id[message.id] = message
        return message

    def get(self, message_id: int) -> StoredMessage | None:
        return self.by_id.get(message_id)

    def in_channel(self, channel_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        return [
            m
            for m in self.by_id.values()
            if m.channel_id == channel_id and (include_deleted or not m.deleted)
        ]
