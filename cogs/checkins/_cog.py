"""/checkin and /mood: Discord glue for daily mood check-ins (rules live in bot/checkins).

Crisis hook: a check-in note the crisis detector rates self-risk or concern for someone
else is handed on with ``bot.dispatch("haven_crisis_text", user_id=..., guild_id=...,
text=..., source="checkin_note", source_ref="mood_entry:<id>", assessment=...)``; the
escalation cog listens with ``on_haven_crisis_text``. ``assessment`` is the detector's
result, or None when ``bot.safety.crisis`` is not installed (the listener then assesses
the text itself). ``guild_id`` is where the command ran, else where they opted in, else
None. This cog never escalates by itself; for self-risk it also answers in place with
helplines.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checkins.schedule import search_zones
from bot.checkins.service import KIND_WORDS, CareDecision, CheckinService, Outgoing
from bot.errors import UserFacingError
from cogs.checkins._views import DYNAMIC_ITEMS, after_answer_view, mood_view

if TYPE_CHECKING:
    from bot.app import HavenBot

log = logging.getLogger(__name__)

NOTICE_DM_CLOSED = "checkin_dm_closed"
TICK_JOB_ID = "checkins.tick"
CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False)
INSTALLS = app_commands.AppInstallationType(guild=True, user=False)

DM_CLOSED_TEXT = (
    "I couldn't send your daily check-in because your DMs are closed to me, so I've paused "
    "check-ins instead of trying again every day. To get them back: open the server's menu → "
    "**Privacy Settings** → turn on **Direct Messages**, then run `/checkin start` again."
)
HELPLINES_FALLBACK = "Use `/helplines` to see who you can reach near you, any time."
NOTE_CRISIS_REPLY = (
    "Thank you for trusting me with that. It sounds like things are really heavy right now, "
    "and you don't have to hold it alone. If you can, reach out to someone now:\n{helplines}\n"
    "If you're in danger right now, please call your local emergency number."
)
DAY_CHOICES = ["every day", "weekdays", "weekends", "mon, wed, fri", "tue, thu", "sat, sun"]


def _dm_closed(exc: discord.HTTPException) -> bool:
    # 50007 "Cannot send messages to this user"; any other 403 on a DM means the same to us.
    return exc.code == 50007 or exc.status == 403


class CheckinGroup(app_commands.Group):
    def __init__(self, cog: Checkins) -> None:
        super().__init__(
            name="checkin",
            description="Daily mood check-ins by DM (opt-in)",
            allowed_contexts=CONTEXTS,
            allowed_installs=INSTALLS,
        )
        self.cog = cog

    @property
    def service(self) -> CheckinService:
        return self.cog.service

    @app_commands.command(name="start", description="Get a daily mood check-in by DM")
    @app_commands.rename(at="time")
    @app_commands.describe(
        at="Time of day, 24-hour HH:MM (e.g. 09:00)",
        timezone="Your time zone, e.g. Europe/London (start typing a city)",
        days="Which days: every day, weekdays, weekends, or e.g. mon, wed, fri",
    )
    async def start(
        self,
        interaction: discord.Interaction[Any],
        at: str,
        timezone: str,
        days: str = "every day",
    ) -> None:
        user = interaction.user
        info = await self.service.start(
            user.id, guild_id=interaction.guild_id, at=at, tz=timezone, days=days
        )
        await self.cog.bot.services.notices.discard(user.id, NOTICE_DM_CLOSED)
        summary = f"**{info.local_time:%H:%M}** ({info.tz}), {info.days}"
        try:
            await user.send(
                f"You're set: I'll check in here at {summary}. Answering takes one tap, and "
                "you can change or stop it any time with `/checkin settings` or `/checkin stop`."
            )
        except discord.HTTPException as exc:
            if not _dm_closed(exc):
                raise
            await self.service.set_unreachable(user.id)
            await interaction.response.send_message(
                f"I saved your check-in time ({summary}), but I can't DM you: your DMs are "
                "closed to me. Open the server's menu → **Privacy Settings** → turn on **Direct "
                "Messages**, then run `/checkin start` again.",
                ephemeral=True,
            )
            return
        assert info.next_run is not None
        await interaction.response.send_message(
            f"Daily check-ins are on: {summary}. The first one comes "
            f"<t:{int(info.next_run.timestamp())}:R>. I've sent you a DM so you know where "
            "to find them.",
            ephemeral=True,
        )

    @start.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in search_zones(current)]

    @start.autocomplete("days")
    async def days_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower()
        return [app_commands.Choice(name=d, value=d) for d in DAY_CHOICES if needle in d] or [
            app_commands.Choice(name=current[:100], value=current[:100])
        ]

    @app_commands.command(name="stop", description="Stop daily check-ins")
    async def stop(self, interaction: discord.Interaction[Any]) -> None:
        stopped = await self.service.stop(interaction.user.id)
        text = (
            "Daily check-ins are off. Your mood history stays yours; `/checkin start` "
            "brings them back any time."
            if stopped
            else "Daily check-ins were already off."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="pause", description="Pause check-ins until a date")
    @app_commands.describe(until="The date they start again, YYYY-MM-DD")
    async def pause(self, interaction: discord.Interaction[Any], until: str) -> None:
        info = await self.service.pause(interaction.user.id, until)
        assert info.resume_on is not None
        await interaction.response.send_message(
            f"Paused. No check-ins until **{info.resume_on:%A %d %B %Y}**; they start again "
            "that day.",
            ephemeral=True,
        )

    @app_commands.command(name="skip", description="Skip today's check-in")
    async def skip(self, interaction: discord.Interaction[Any]) -> None:
        skipped, info = await self.service.skip_today(interaction.user.id)
        after = f" The next one is <t:{int(info.next_run.timestamp())}:F>." if info.next_run else ""
        text = "Skipped today's check-in." if skipped else "Nothing left to skip today."
        await interaction.response.send_message(text + after, ephemeral=True)

    @app_commands.command(name="settings", description="Show your check-in settings")
    async def settings(self, interaction: discord.Interaction[Any]) -> None:
        info = await self.service.info(interaction.user.id)
        await interaction.response.send_message(info.describe(), ephemeral=True)

    @app_commands.command(name="now", description="Log how you feel right now")
    async def now(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(
            "How are you feeling right now?", view=mood_view(0), ephemeral=True
        )

    @app_commands.command(
        name="share-with-mods",
        description="Let this server's moderators know (quietly) if your check-ins are very low",
    )
    @app_commands.describe(enabled="On: a non-pinging heads-up to moderators. Off: nobody is told.")
    async def share_with_mods(
        self, interaction: discord.Interaction[Any], enabled: bool = True
    ) -> None:
        await self.service.share_with_mods(interaction.user.id, interaction.guild_id, enabled)
        text = (
            "Okay. If you log the lowest mood several times in a few days, this server's "
            "moderators get a quiet heads-up (no ping, nothing you wrote). Turn it off any "
            "time with `/checkin share-with-mods enabled:False`."
            if enabled
            else "Okay, moderators won't be told anything about your check-ins."
        )
        await interaction.response.send_message(text, ephemeral=True)


class MoodGroup(app_commands.Group):
    def __init__(self, cog: Checkins) -> None:
        super().__init__(
            name="mood",
            description="Your mood history (only you see it)",
            allowed_contexts=CONTEXTS,
            allowed_installs=INSTALLS,
        )
        self.cog = cog

    @app_commands.command(name="history", description="Your mood over time, with a chart")
    @app_commands.describe(days="How many days back (default 30)")
    async def history(
        self, interaction: discord.Interaction[Any], days: app_commands.Range[int, 1, 365] = 30
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        history = await self.cog.service.history(interaction.user.id, days)
        from bot.checkins.chart import render_mood_chart  # matplotlib is heavy: load on use

        png = await asyncio.to_thread(
            render_mood_chart, history.entries, tz=history.tz, days=history.days
        )
        await interaction.followup.send(
            history.summary(),
            file=discord.File(io.BytesIO(png), filename="mood.png"),
            ephemeral=True,
        )

    @app_commands.command(name="week", description="How your week has gone, in a sentence")
    async def week(self, interaction: discord.Interaction[Any]) -> None:
        text = await self.cog.service.week(interaction.user.id)
        await interaction.response.send_message(text, ephemeral=True)


class Checkins(commands.Cog):
    def __init__(self, bot: HavenBot) -> None:
        self.bot = bot
        self._dm_slots = asyncio.Semaphore(bot.settings.checkins.dm_concurrency)

    @property
    def service(self) -> CheckinService:
        service = self.bot.services.checkins
        if service is None:
            raise UserFacingError("Check-ins aren't available on this bot right now.")
        return service

    # --- the scheduled tick --------------------------------------------------------

    async def run_tick(self) -> None:
        """The interval job: claim what is due, then DM it (never before the bot is ready)."""
        if not self.bot.is_ready():
            return
        try:
            await self.deliver(await self.service.tick())
        except Exception:
            log.exception("check-in tick failed")

    async def deliver(self, items: list[Outgoing]) -> list[bool]:
        """Send each DM with bounded concurrency; returns whether each one was delivered."""
        return list(await asyncio.gather(*(self._send_one(item) for item in items)))

    async def _send_one(self, item: Outgoing) -> bool:
        async with self._dm_slots:
            try:
                # create_dm is cached per user and skips a GET /users/{id} per prompt.
                channel = await self.bot.create_dm(discord.Object(id=item.user_id))
                message = await channel.send(item.text, view=mood_view(item.prompt_id))
            except discord.NotFound:
                log.info("check-in user %s no longer exists; schedule stopped", item.user_id)
                await self.service.mark_unreachable(item)
                return False
            except discord.HTTPException as exc:
                if _dm_closed(exc):
                    log.info("check-in DM to %s refused (DMs closed)", item.user_id)
                    await self.service.mark_unreachable(item)
                    await self.bot.services.notices.add(
                        item.user_id, NOTICE_DM_CLOSED, item.guild_id
                    )
                else:
                    log.warning("check-in DM to %s failed (HTTP %s)", item.user_id, exc.status)
                    await self.service.mark_failed(item)
                return False
            await self.service.mark_sent(item, channel_id=message.channel.id, message_id=message.id)
            return True

    # --- answers (called by the persistent components in _views) ---------------------

    async def handle_mood(
        self, interaction: discord.Interaction[Any], prompt_id: int, value: int
    ) -> None:
        user_id = interaction.user.id
        if prompt_id == 0:
            result = await self.service.log_now(user_id, value)
        else:
            result = await self.service.answer_prompt(prompt_id, user_id, value)
        level = result.mood
        body = await self._tip_for(value) if value <= 3 else None
        logged = "updated" if result.changed else "logged"
        lines = [f"{level.emoji} **{level.label}**: {logged}. " + KIND_WORDS[value]]
        if body:
            lines.append(body)
        if result.streak >= 2:
            lines.append(f"That's {result.streak} days in a row of checking in with yourself.")
        lines.append("If you like, add a feeling or a private note below.")
        await interaction.response.edit_message(
            content="\n\n".join(lines), view=after_answer_view(result.entry_id)
        )
        if result.care is not None:
            await self._send_care(interaction, result.care)

    async def handle_tags(
        self, interaction: discord.Interaction[Any], entry_id: int, tags: list[str]
    ) -> None:
        saved = await self.service.set_tags(entry_id, interaction.user.id, tags)
        names = ", ".join(saved) if saved else "nothing"
        await interaction.response.send_message(f"Noted: {names}.", ephemeral=True)

    async def handle_note(
        self, interaction: discord.Interaction[Any], entry_id: int, text: str
    ) -> None:
        note = await self.service.set_note(entry_id, interaction.user.id, text)
        if note is None:
            await interaction.response.send_message("Okay, no note.", ephemeral=True)
            return
        hand_on, self_risk, assessment = self._assess(note)
        guild_id = interaction.guild_id
        if hand_on:
            row = await self.service.schedule_row(interaction.user.id)
            guild_id = guild_id or (row.guild_id if row else None)
            # The hook escalation listens to (on_haven_crisis_text); see the module docstring.
            self.bot.dispatch(
                "haven_crisis_text",
                user_id=interaction.user.id,
                guild_id=guild_id,
                text=note,
                source="checkin_note",
                source_ref=f"mood_entry:{entry_id}",
                assessment=assessment,
            )
        if self_risk:
            # Answer in place at once; escalation may also reach out by DM and alert mods.
            helplines = await self._helplines(interaction.user.id, guild_id)
            await interaction.response.send_message(
                NOTE_CRISIS_REPLY.format(helplines=helplines), ephemeral=True
            )
            return
        await interaction.response.send_message(
            "Saved your note. Only you can see it.", ephemeral=True
        )

    # --- helpers ------------------------------------------------------------------

    def _assess(self, text: str) -> tuple[bool, bool, Any]:
        """(hand on to escalation, self-risk, assessment) for a note.

        Self-risk and concern for someone else are handed on; harassment is not (it is the
        person's private journal). Without the detector every note is handed on with
        assessment None so escalation assesses it: a missed crisis is the worst failure.
        """
        try:
            crisis = importlib.import_module("bot.safety.crisis")
        except ImportError:
            log.warning("crisis detector not installed; check-in note handed on unassessed")
            return True, False, None
        assessment = crisis.assess(text)
        category = str(getattr(assessment, "category", "none"))
        self_risk = bool(getattr(assessment, "is_crisis", False)) or (
            category == "self_risk" and (getattr(assessment, "severity", 0) or 0) >= 1
        )
        return self_risk or category == "concern_for_other", self_risk, assessment

    async def _tip_for(self, value: int) -> str | None:
        """A coping tip from the tips library, if that feature is installed."""
        tips = getattr(self.bot.services, "tips", None)
        suggest = getattr(tips, "suggest_for_mood", None)
        if suggest is None:
            return None
        try:
            try:
                tip = suggest(value, [])  # bot.tips: suggest_for_mood(mood_level, tags)
            except TypeError:
                tip = suggest(value)
            if inspect.isawaitable(tip):
                tip = await tip
        except Exception:
            log.warning("tips service failed; using a kind word instead", exc_info=True)
            return None
        if tip is None:
            return None
        if isinstance(tip, str):
            return f"A small thing to try: {tip}"
        title = getattr(tip, "title", None)
        body = (
            getattr(tip, "summary", None)
            or getattr(tip, "body", None)
            or getattr(tip, "text", None)
        )
        if title and body:
            return f"A small thing to try, **{title}**: {body}"
        return f"A small thing to try: {title or body}" if (title or body) else None

    async def _helplines(self, user_id: int, guild_id: int | None) -> str:
        service = getattr(self.bot.services, "helplines", None)
        if service is not None and hasattr(service, "for_person"):
            try:
                choice = await service.for_person(user_id, guild_id)
                lines = [h.contact_line() for h in choice.for_dm()]
                if lines:
                    return "\n".join(f"- {line}" for line in lines)
            except Exception:
                log.warning("helplines unavailable; pointing to /helplines", exc_info=True)
        return HELPLINES_FALLBACK

    async def _send_care(self, interaction: discord.Interaction[Any], care: CareDecision) -> None:
        helplines = await self._helplines(
            interaction.user.id, care.share_guild_id or interaction.guild_id
        )
        text = f"{care.text}\n\n{helplines}\n\nFor a few gentle ideas to try, there's `/tips`."
        try:
            await interaction.followup.send(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not send the low-mood care message")
        if care.share_guild_id is not None and care.heads_up is not None:
            await self._heads_up(care.share_guild_id, care.heads_up)

    async def _heads_up(self, guild_id: int, text: str) -> None:
        """A quiet note in the guild's alert channel: no pings (allowed_mentions none)."""
        settings = await self.bot.services.guild_settings.get(guild_id)
        if settings.alert_channel_id is None:
            log.info("guild %s has no alert channel; low-mood heads-up not posted", guild_id)
            return
        try:
            channel = self.bot.get_channel(
                settings.alert_channel_id
            ) or await self.bot.fetch_channel(settings.alert_channel_id)
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())  # type: ignore[union-attr]
        except discord.HTTPException as exc:
            log.warning(
                "could not post a low-mood heads-up in guild %s (HTTP %s)", guild_id, exc.status
            )

    async def render_dm_closed(self, user_id: int, guild_id: int | None) -> str:
        return DM_CLOSED_TEXT

    async def cog_unload(self) -> None:
        scheduler = self.bot.services.scheduler
        if scheduler.get_job(TICK_JOB_ID) is not None:
            scheduler.remove_job(TICK_JOB_ID)
        for name in ("checkin", "mood"):
            self.bot.tree.remove_command(name)
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.notice_renderers.pop(NOTICE_DM_CLOSED, None)


async def setup(bot: HavenBot) -> None:
    cog = Checkins(bot)
    await bot.add_cog(cog)
    bot.tree.add_command(CheckinGroup(cog))
    bot.tree.add_command(MoodGroup(cog))
    # Mood buttons, tag selects and note buttons in old DMs keep working after a restart.
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.notice_renderers[NOTICE_DM_CLOSED] = cog.render_dm_closed
    settings = bot.settings.checkins
    if settings.enabled and bot.services.checkins is not None:
        # One interval job for everyone; the database says who is due (no job per user).
        bot.services.scheduler.add_job(
            cog.run_tick,
            "interval",
            seconds=settings.tick_seconds,
            id=TICK_JOB_ID,
            replace_existing=True,
        )
