"""Spec'd mocks of discord.py objects for cog tests, and a real bot with real services.

Every mock uses ``spec_set`` from the real discord.py class, so a test that touches an
attribute Discord objects do not have fails instead of silently passing. Async methods
of the spec become ``AsyncMock``s automatically.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord

from bot.app import HavenBot
from bot.config import Settings
from bot.db import apply_migrations, open_database
from bot.services import build_services

_ids = itertools.count(100_000_000_000_000_000)


def next_id() -> int:
    return next(_ids)


def make_role(guild: Any, *, role_id: int | None = None, name: str = "role") -> MagicMock:
    role = MagicMock(spec_set=discord.Role)
    role.id = role_id or next_id()
    role.name = name
    role.guild = guild
    role.mention = f"<@&{role.id}>"
    return role


def make_guild(*, guild_id: int | None = None, name: str = "Test Guild") -> MagicMock:
    guild = MagicMock(spec_set=discord.Guild)
    guild.id = guild_id or next_id()
    guild.name = name
    guild.default_role = make_role(guild, role_id=guild.id, name="@everyone")
    guild.owner_id = next_id()
    guild.owner = None
    guild.me = None
    return guild


def make_user(*, user_id: int | None = None, name: str = "someone") -> MagicMock:
    user = MagicMock(spec_set=discord.User)
    user.id = user_id or next_id()
    user.name = name
    user.display_name = name
    user.bot = False
    user.mention = f"<@{user.id}>"
    return user


def make_member(
    guild: Any,
    *,
    user_id: int | None = None,
    name: str = "member",
    roles: list[Any] | None = None,
    manage_guild: bool = False,
) -> MagicMock:
    member = MagicMock(spec_set=discord.Member)
    member.id = user_id or next_id()
    member.name = name
    member.display_name = name
    member.bot = False
    member.guild = guild
    member.roles = [guild.default_role, *(roles or [])]
    member.guild_permissions = discord.Permissions(manage_guild=manage_guild)
    member.mention = f"<@{member.id}>"
    return member


def make_text_channel(
    guild: Any, *, channel_id: int | None = None, name: str = "general", public: bool = True
) -> MagicMock:
    channel = MagicMock(spec_set=discord.TextChannel)
    channel.id = channel_id or next_id()
    channel.name = name
    channel.guild = guild
    channel.mention = f"<#{channel.id}>"

    def permissions_for(target: Any) -> discord.Permissions:
        if target is guild.default_role:
            return discord.Permissions(view_channel=public)
        return discord.Permissions(view_channel=True, send_messages=True, embed_links=True)

    channel.permissions_for.side_effect = permissions_for
    return channel


def make_interaction(
    user: Any, *, guild: Any = None, channel: Any = None, client: Any = None
) -> MagicMock:
    """An Interaction whose response/followup record what the cog sent."""
    interaction = MagicMock(spec_set=discord.Interaction)
    interaction.user = user
    interaction.guild = guild
    interaction.guild_id = guild.id if guild is not None else None
    interaction.channel = channel
    interaction.channel_id = channel.id if channel is not None else None
    interaction.client = client
    interaction.id = next_id()
    response = MagicMock(spec_set=discord.InteractionResponse)
    done = {"value": False}
    response.is_done.side_effect = lambda: done["value"]

    def _answer(*args: Any, **kwargs: Any) -> None:
        done["value"] = True

    for name in ("send_message", "defer", "edit_message", "send_modal"):
        getattr(response, name).side_effect = _answer
    interaction.response = response
    interaction.followup = MagicMock(spec_set=discord.Webhook)
    interaction.edit_original_response = AsyncMock(
        spec_set=discord.Interaction.edit_original_response
    )
    interaction.original_response = AsyncMock(spec_set=discord.Interaction.original_response)
    return interaction


def sent_text(interaction: MagicMock) -> str:
    """Everything the cog said through response.send_message and followup.send."""
    parts: list[str] = []
    for call in [
        *interaction.response.send_message.call_args_list,
        *interaction.followup.send.call_args_list,
    ]:
        content = call.kwargs.get("content") or (call.args[0] if call.args else None)
        if content:
            parts.append(str(content))
        embed = call.kwargs.get("embed")
        if embed is not None:
            parts.append(f"{embed.title or ''}\n{embed.description or ''}")
            parts.extend(f"{f.name}\n{f.value}" for f in embed.fields)
    return "\n".join(parts)


def was_ephemeral(interaction: MagicMock) -> bool:
    calls = [
        *interaction.response.send_message.call_args_list,
        *interaction.followup.send.call_args_list,
    ]
    return bool(calls) and all(call.kwargs.get("ephemeral") for call in calls)


async def make_bot(tmp_path: Path, **overrides: Any) -> HavenBot:
    """A real HavenBot with a real database and services, not connected to Discord."""
    settings = Settings(database={"path": tmp_path / "haven.db"}, **overrides)
    bot = HavenBot(settings)
    bot.db = await open_database(settings.database.path)
    await apply_migrations(bot.db)
    bot.services = await build_services(settings, bot.db)
    return bot
