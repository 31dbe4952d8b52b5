"""The fake world: users, guilds, roles, channels and members, and their Discord payloads."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from tests.fakediscord import permissions as p
from tests.fakediscord.permissions import Overwrite

DISCORD_EPOCH_MS = 1420070400000

# Channel types (Discord API).
GUILD_TEXT = 0
DM = 1
GUILD_CATEGORY = 4
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12

Json = dict[str, Any]


class HasId(Protocol):
    @property
    def id(self) -> int: ...


IdLike = int | HasId


def id_of(value: IdLike) -> int:
    """Accept an int id or any object with an ``id`` (User, Channel, Guild, StoredMessage...)."""
    return value if isinstance(value, int) else int(value.id)


class SnowflakeGenerator:
    """Strictly increasing snowflakes with a real timestamp, so ``created_at`` is sensible."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass(slots=True)
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    def to_payload(self) -> Json:
        payload: Json = {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
        }
        if self.bot:
            payload["bot"] = True
        return payload

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass(slots=True)
class Role:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False
    bot_id: int | None = None
    color: int = 0

    def to_payload(self) -> Json:
        payload: Json = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }
        if self.bot_id is not None:
            payload["tags"] = {"bot_id": str(self.bot_id)}
        return payload

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"


@dataclass(slots=True)
class Channel:
    """A guild text channel, a thread, or a DM channel (``guild_id`` None, ``recipient`` set)."""

    id: int
    name: str
    type: int = GUILD_TEXT
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient: User | None = None
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    created_at: str = field(default_factory=iso_now)
    last_message_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in (PUBLIC_THREAD, PRIVATE_THREAD)

    @property
    def is_dm(self) -> bool:
        return self.type == DM

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def to_payload(self) -> Json:
        last = str(self.last_message_id) if self.last_message_id else None
        if self.is_dm:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": last,
                "recipients": [self.recipient.to_payload()],
                "flags": 0,
            }
        payload: Json = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": last,
            "flags": 0,
        }
        if self.is_thread:
            payload.update(
                owner_id=str(self.owner_id),
                message_count=0,
                member_count=1,
                total_message_sent=0,
                thread_metadata={
                    "archived": self.archived,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": self.created_at,
                    "locked": self.locked,
                    "invitable": True,
                    "create_timestamp": self.created_at,
                },
            )
        else:
            payload.update(
                topic=self.topic,
                permission_overwrites=[ow.to_payload() for ow in self.overwrites],
                default_auto_archive_duration=1440,
            )
        return payload


@dataclass(slots=True)
class Member:
    user: User
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)
    communication_disabled_until: str | None = None

    def to_payload(self, *, with_user: bool = True, permissions: int | None = None) -> Json:
        payload: Json = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": self.communication_disabled_until,
        }
        if with_user:
            payload["user"] = self.user.to_payload()
        if permissions is not None:
            payload["permissions"] = str(permissions)
        return payload


@dataclass(slots=True)
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    preferred_locale: str = "en-US"

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def role(self, name: str) -> Role:
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(f"no role named {name!r} in guild {self.name!r}")

    def channel(self, name: str) -> Channel:
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(f"no channel named {name!r} in guild {self.name!r}")

    def permissions_for(self, user_id: int, channel_id: int | None = None) -> int:
        """Resolved permissions of a member, guild-wide or in a channel (threads use their parent)."""
        member = self.members.get(user_id)
        role_ids = member.roles if member else []
        base = p.base_permissions(
            guild_id=self.id,
            owner_id=self.owner_id,
            user_id=user_id,
            role_ids=role_ids,
            role_perms={r.id: r.permissions for r in self.roles.values()},
        )
        if channel_id is None:
            return base
        channel = self.channels.get(channel_id)
        if channel is not None and channel.is_thread and channel.parent_id:
            channel = self.channels.get(channel.parent_id)
        if channel is None:
            return base
        return p.channel_permissions(
            base,
            guild_id=self.id,
            user_id=user_id,
            role_ids=role_ids,
            overwrites=channel.overwrites,
        )

    def member_payload(
        self, user_id: int, *, with_user: bool = True, channel_id: int | None = None
    ) -> Json:
        member = self.members[user_id]
        perms = self.permissions_for(user_id, channel_id) if channel_id is not None else None
        return member.to_payload(with_user=with_user, permissions=perms)

    def to_payload(self, *, member_ids: list[int] | None = None) -> Json:
        """Full GUILD_CREATE payload; ``member_ids`` limits the members sent (intents)."""
        ids = list(self.members) if member_ids is None else member_ids
        plain = [c for c in self.channels.values() if not c.is_thread]
        threads = [c for c in self.channels.values() if c.is_thread and not c.archived]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "preferred_locale": self.preferred_locale,
            "features": [],
            "roles": [r.to_payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "soundboard_sounds": [],
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "max_members": 500000,
            "joined_at": iso_now(),
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "members": [self.members[i].to_payload() for i in ids if i in self.members],
            "channels": [c.to_payload() for c in plain],
            "threads": [c.to_payload() for c in threads],
        }


class World:
    """Everything the fake Discord knows about, independent of HTTP and the gateway."""

    def __init__(self, *, bot_name: str = "Haven") -> None:
        self.ids = SnowflakeGenerator()
        self.bot = User(self.ids.next(), bot_name, bot=True)
        self.users_by_id: dict[int, User] = {self.bot.id: self.bot}
        self.guilds: dict[int, Guild] = {}
        self.dm_channels: dict[int, Channel] = {}  # recipient user id -> DM channel
        self.bot_guild_ids: set[int] = set()  # guilds the bot is a member of

    # -- lookup ---------------------------------------------------------------
    def user(self, user_id: int) -> User:
        return self.users_by_id[user_id]

    def find_channel(self, channel_id: int) -> Channel | None:
        for guild in self.guilds.values():
            channel = guild.channels.get(channel_id)
            if channel is not None:
                return channel
        for channel in self.dm_channels.values():
            if channel.id == channel_id:
                return channel
        return None

    def guild_of_channel(self, channel_id: int) -> Guild | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild
        return None

    # -- building -------------------------------------------------------------
    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> User:
        user = User(self.ids.next(), username, global_name=global_name, bot=bot)
        self.users_by_id[user.id] = user
        return user

    def new_guild(self, name: str, owner: User) -> Guild:
        """A guild with @everyone, the bot's managed role and the owner as member (bot not in it)."""
        guild = Guild(self.ids.next(), name, owner.id)
        guild.roles[guild.id] = Role(guild.id, "@everyone", p.EVERYONE_DEFAULT, position=0)
        bot_role = Role(
            self.ids.next(),
            self.bot.username,
            p.BOT_DEFAULT,
            position=1,
            managed=True,
            bot_id=self.bot.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[owner.id] = Member(owner)
        self.guilds[guild.id] = guild
        return guild

    def add_role(self, guild: Guild, name: str, permissions: int = 0) -> Role:
        position = max((r.position for r in guild.roles.values()), default=0) + 1
        role = Role(self.ids.next(), name, permissions, position=position)
        guild.roles[role.id] = role
        return role

    def add_member(self, guild: Guild, user: User, roles: list[Role] | None = None) -> Member:
        member = Member(user, [r.id for r in roles or []])
        guild.members[user.id] = member
        return member

    def add_bot_member(self, guild: Guild) -> Member:
        bot_roles = [r.id for r in guild.roles.values() if r.bot_id == self.bot.id]
        member = Member(self.bot, bot_roles)
        guild.members[self.bot.id] = member
        self.bot_guild_ids.add(guild.id)
        return member

    def add_channel(
        self,
        guild: Guild,
        name: str,
        *,
        type: int = GUILD_TEXT,
        private: bool = False,
        allow_roles: list[Role] | None = None,
        topic: str | None = None,
        parent_id: int | None = None,
        owner_id: int | None = None,
    ) -> Channel:
        """A text channel; ``private`` hides it from @everyone except ``allow_roles`` and the bot."""
        overwrites: list[Overwrite] = []
        if private:
            overwrites.append(Overwrite(guild.id, 0, deny=p.VIEW_CHANNEL))
            seen = set()
            for role in [*(allow_roles or []), *(r for r in guild.roles.values() if r.bot_id)]:
                if role.id not in seen:
                    seen.add(role.id)
                    overwrites.append(Overwrite(role.id, 0, allow=p.VIEW_CHANNEL | p.SEND_MESSAGES))
        position = len([c for c in guild.channels.values() if not c.is_thread])
        channel = Channel(
            self.ids.next(),
            name,
            type=type,
            guild_id=guild.id,
            position=position,
            topic=topic,
            overwrites=overwrites,
            parent_id=parent_id,
            owner_id=owner_id,
        )
        guild.channels[channel.id] = channel
        return channel

    def dm_channel(self, user: User) -> Channel:
        """The bot's DM channel with ``user`` (created once, then stable)."""
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = Channel(self.ids.next(), "", type=DM, recipient=user)
            self.dm_channels[user.id] = channel
        return channel
