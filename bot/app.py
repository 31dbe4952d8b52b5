"""The Discord client: wires services in ``setup_hook``, loads every cog, closes in order."""

from __future__ import annotations

import asyncio
import logging
import pkgutil
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

import cogs
from bot.config import Settings
from bot.db import apply_migrations, open_database
from bot.errors import UserFacingError
from bot.services import Services, build_services

log = logging.getLogger(__name__)

# kind → coroutine(user_id, guild_id) returning the text to show; registered by cogs.
NoticeRenderer = Callable[[int, int | None], Awaitable[str]]

DRAIN_SECONDS = 5.0  # how long close() lets running handlers finish before closing the DB

GENERIC_FAILURE = (
    "Sorry, something went wrong on our side and it has been logged. Please try again in a moment."
)


def configure_endpoints(api_base_url: str, gateway_url: str) -> None:
    """Point discord.py at Discord, a proxy, or the local fake Discord used in tests."""
    discord.http.Route.BASE = api_base_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def haven_intents() -> discord.Intents:
    """The least the features need. message_content is privileged: enable it in the portal."""
    intents = discord.Intents.none()
    intents.guilds = True  # channels, roles, threads, joins/leaves
    intents.guild_messages = True  # crisis detector and auto-moderation
    intents.dm_messages = True  # check-in notes and DMs to the bot
    intents.message_content = True  # reading the text of messages at all
    return intents


def cog_modules() -> list[str]:
    """Every module or package in ``cogs/`` except private ``_`` helpers; admin first,
    because it owns the /setup group that other cogs add their subgroups to."""
    names = sorted(
        f"cogs.{info.name}"
        for info in pkgutil.iter_modules(cogs.__path__)
        if not info.name.startswith("_")
    )
    return sorted(names, key=lambda name: name != "cogs.admin")


def describe_missing_permissions(missing: list[str]) -> str:
    names = ", ".join(p.replace("_", " ").replace("guild", "server").title() for p in missing)
    return f"You need the {names} permission to use this command."


def require_manage_guild(interaction: discord.Interaction[Any]) -> bool:
    """True for members with Manage Server; otherwise raise the error the tree answers."""
    member = interaction.user
    if isinstance(member, discord.Member) and member.guild_permissions.manage_guild:
        return True
    raise app_commands.MissingPermissions(["manage_guild"])


class HavenTree(app_commands.CommandTree["HavenBot"]):
    """One error path for every slash command and context menu."""

    async def interaction_check(self, interaction: discord.Interaction[HavenBot], /) -> bool:
        # /setup hides itself from non-admins through default_member_permissions, but server
        # owners can override that, and discord.py runs a group's interaction_check only for
        # its direct children. So every /setup command, however deeply nested, is checked here.
        if interaction.type is not discord.InteractionType.application_command:
            return True
        command = interaction.command
        root = getattr(command, "root_parent", None) or command
        if root is not None and root.name == "setup":
            return require_manage_guild(interaction)
        return True

    async def on_error(
        self, interaction: discord.Interaction[HavenBot], error: app_commands.AppCommandError
    ) -> None:
        await report_interaction_error(interaction, error)


async def report_interaction_error(interaction: discord.Interaction[Any], error: Exception) -> None:
    """Answer the user with a short ephemeral message; log the traceback (never the text)."""
    original = getattr(error, "original", error)
    if isinstance(error, app_commands.MissingPermissions):
        message = describe_missing_permissions(error.missing_permissions)
    elif isinstance(error, app_commands.BotMissingPermissions):
        names = ", ".join(error.missing_permissions)
        message = f"I'm missing the {names} permission here. Ask a server admin to grant it."
    elif isinstance(error, app_commands.NoPrivateMessage):
        message = "This command only works inside a server."
    elif isinstance(error, app_commands.CommandOnCooldown):
        message = f"Please wait {error.retry_after:.0f} seconds before trying that again."
    elif isinstance(error, app_commands.CheckFailure):
        message = str(error) or "You can't use this command here."
    elif isinstance(original, UserFacingError):
        message = str(original)
    else:
        command = interaction.command.qualified_name if interaction.command else "component"
        log.error("interaction %s failed", command, exc_info=original)
        message = GENERIC_FAILURE
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user about a failed interaction")


class HavenBot(commands.AutoShardedBot):
    db: Any
    services: Services
    setup_group: Any  # cogs.admin.SetupGroup, set when that cog loads

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=haven_intents(),
            help_command=None,
            # Nothing the bot posts pings anyone unless a call opts in explicitly.
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=HavenTree,
        )
        self.settings = settings
        self.notice_renderers: dict[str, NoticeRenderer] = {}
        self._closed_services = False
        self._close_task: asyncio.Task[None] | None = None
        configure_endpoints(settings.discord.api_base_url, settings.discord.gateway_url)

    async def setup_hook(self) -> None:
        self.db = await open_database(self.settings.database.path)
        applied = await apply_migrations(self.db)
        if applied:
            log.info("database upgraded: %s", ", ".join(applied))
        self.services = await build_services(self.settings, self.db)
        await self.seed_guild_settings()
        await self.load_cogs()
        await self.services.start()
        if self.settings.discord.sync_commands:
            await self.sync_commands()

    async def load_cogs(self) -> None:
        """Load every feature; one broken feature must not take the safety loop down with it."""
        failed = []
        for module in cog_modules():
            try:
                await self.load_extension(module)
            except commands.ExtensionError:
                log.exception("could not load %s; the rest of Haven keeps running", module)
                failed.append(module)
        log.info("loaded %d of %d cog modules", len(self.extensions), len(cog_modules()))
        if "cogs.admin" in failed:
            raise RuntimeError("the admin cog failed to load; see the log above")

    async def seed_guild_settings(self) -> None:
        """Write ``[guilds.<id>]`` values from config into the database (deployment as code)."""
        for guild_id, seed in self.settings.guilds.items():
            values = seed.model_dump(exclude_none=True)
            if values:
                await self.services.guild_settings.update(guild_id, **values)
                log.info("seeded settings for guild %s: %s", guild_id, ", ".join(sorted(values)))

    async def sync_commands(self) -> None:
        guild_id = self.settings.discord.dev_guild_id
        try:
            if guild_id is not None:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            else:
                synced = await self.tree.sync()
        except discord.HTTPException as exc:
            log.error("could not sync slash commands (HTTP %s); commands may be stale", exc.status)
            return
        log.info("synced %d application commands", len(synced))

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info(
            "Haven is ready as %s (id %s) in %d guilds", self.user, self.user.id, len(self.guilds)
        )

    async def on_app_command_completion(
        self, interaction: discord.Interaction[HavenBot], command: Any
    ) -> None:
        await self.deliver_pending_notices(interaction)

    async def deliver_pending_notices(self, interaction: discord.Interaction[Any]) -> None:
        """Show, ephemerally, what a failed DM could not tell this person."""
        if self._closed_services or getattr(self, "db", None) is None:
            return  # shutting down: the notices stay stored for next time
        try:
            notices = await self.services.notices.take(interaction.user.id)
        except ValueError:  # aiosqlite: the database closed under us during shutdown
            return
        for kind, guild_id in notices:
            renderer = self.notice_renderers.get(kind)
            if renderer is None:
                log.warning("no renderer for notice kind %s", kind)
                continue
            text = await renderer(interaction.user.id, guild_id)
            try:
                await interaction.followup.send(text, ephemeral=True)
            except discord.HTTPException:
                # Keep it for next time rather than lose it.
                await self.services.notices.add(interaction.user.id, kind, guild_id)
                log.warning("could not deliver a pending %s notice", kind)

    async def _drain_handlers(self) -> None:
        """Let event handlers and commands already running finish before the DB closes."""
        current = asyncio.current_task()
        running = [
            task
            for task in asyncio.all_tasks()
            if task is not current
            and not task.done()
            and (
                task.get_name().startswith("discord.py: ")
                or task.get_name() == "CommandTree-invoker"
            )
        ]
        if running:
            await asyncio.wait(running, timeout=DRAIN_SECONDS)

    async def close(self) -> None:
        """Shut down once, in order; every caller (signal handler, ``async with``) awaits it."""
        if self._close_task is None:
            self._close_task = asyncio.create_task(self._close_in_order(), name="haven-close")
        await asyncio.shield(self._close_task)

    async def _close_in_order(self) -> None:
        # Order matters: stop producing work, stop Discord, let running handlers finish,
        # then close the store (its worker thread would otherwise keep the process alive).
        if hasattr(self, "services"):
            self._closed_services = True
            await self.services.stop()
        await super().close()
        await self._drain_handlers()
        if getattr(self, "db", None) is not None:
            await self.db.close()
            self.db = None
