"""Check-in rules: opt-in, the tick that claims due prompts, the mood log, care, streaks.

No discord here: the cog sends what ``tick`` returns and reports back with
``mark_sent`` / ``mark_unreachable`` / ``mark_failed``. The clock is injectable
(``now``) so tests never sleep.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import aiosqlite

from bot.checkins.repository import CheckinRepository, MoodEntry, PromptRow, ScheduleRow
from bot.checkins.schedule import (
    Schedule,
    days_to_mask,
    describe_days,
    due_date,
    local_date,
    next_run,
    parse_days,
    parse_time,
    utc_now,
    zone_for,
)
from bot.config import CheckinSettings
from bot.errors import UserFacingError

log = logging.getLogger(__name__)

NOTE_MAX = 1_000
MAX_DUE_PER_TICK = 2_000  # the rest wait for the next tick rather than stall this one
MAX_PAUSE_DAYS = 366
HISTORY_MAX_DAYS = 365


@dataclass(frozen=True)
class MoodLevel:
    value: int
    emoji: str
    label: str


MOODS: tuple[MoodLevel, ...] = (
    MoodLevel(1, "😢", "Really low"),
    MoodLevel(2, "🙁", "Low"),
    MoodLevel(3, "😐", "Okay"),
    MoodLevel(4, "🙂", "Good"),
    MoodLevel(5, "😄", "Great"),
)
LOWEST = 1

# key → label; keys are stored, labels shown.
FEELING_TAGS: dict[str, str] = {
    "anxious": "Anxious",
    "tired": "Tired",
    "lonely": "Lonely",
    "sad": "Sad",
    "stressed": "Stressed",
    "overwhelmed": "Overwhelmed",
    "angry": "Angry",
    "calm": "Calm",
    "hopeful": "Hopeful",
    "grateful": "Grateful",
    "content": "Content",
    "energised": "Energised",
}

GREETING = "Hi, it's your daily check-in. How are you feeling today? Tap whichever fits; there are no wrong answers."
REMINDER = "A gentle nudge, only if you'd like to: how are you feeling today?"

KIND_WORDS = {
    1: "Thank you for telling me. Days like this are hard, and you don't have to carry them alone.",
    2: "Thanks for checking in. Be gentle with yourself today; small steps count.",
    3: "Thanks for checking in. Okay is a perfectly fine place to be.",
    4: "Thanks for checking in. Glad today is treating you fairly well.",
    5: "Thanks for checking in. Lovely to hear it's a good day; maybe notice what helped.",
}

CARE_MESSAGE = (
    "I noticed the last few check-ins have been really hard ones. Thank you for still telling "
    "me; that takes something. You don't have to go through this alone: talking to someone you "
    "trust, or a person on a helpline, can help, and they're there for exactly this."
)

MODS_HEADS_UP = (
    "Heads-up, shared with their consent: {mention} has logged their lowest mood several "
    "times in the last {days} days and chose to let moderators know. No crisis was detected; "
    "a kind, low-pressure check-in from someone they trust may help."
)


def mood(value: int) -> MoodLevel:
    if not 1 <= value <= 5:
        raise UserFacingError("Mood must be between 1 and 5.")
    return MOODS[value - 1]


@dataclass(frozen=True)
class Outgoing:
    """A DM the cog should send now: a day's prompt or its one reminder."""

    prompt_id: int
    user_id: int
    local_date: date
    kind: str  # 'prompt' | 'reminder'
    text: str
    guild_id: int | None


@dataclass(frozen=True)
class ScheduleInfo:
    status: str
    local_time: time | None
    tz: str
    days: str
    resume_on: date | None
    skip_date: date | None
    next_run: datetime | None
    shares_with_mods: bool
    share_guild_id: int | None

    def describe(self) -> str:
        if self.status == "off" or self.local_time is None:
            return "Daily check-ins are off. Start them with `/checkin start`."
        lines = [
            f"**Time:** {self.local_time:%H:%M} ({self.tz})",
            f"**Days:** {self.days}",
        ]
        if self.status == "unreachable":
            lines.append(
                "**Status:** paused, because I couldn't DM you. Allow DMs from this server "
                "(Server → Privacy Settings → Direct Messages), then run `/checkin start` again."
            )
        elif self.next_run is not None:
            lines.append(f"**Next check-in:** <t:{int(self.next_run.timestamp())}:F>")
        if self.resume_on is not None and self.status == "active":
            lines.append(f"**Paused until:** {self.resume_on:%A %d %B %Y}")
        if self.skip_date is not None and self.status == "active":
            lines.append(f"**Skipping:** {self.skip_date:%A %d %B}")
        lines.append(
            "**Low-mood heads-up to moderators:** "
            + ("on" if self.shares_with_mods else "off (`/checkin share-with-mods` to change)")
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class CareDecision:
    text: str
    share_guild_id: int | None  # post a non-pinging heads-up there, if set
    heads_up: str | None


@dataclass(frozen=True)
class AnswerResult:
    entry_id: int
    mood: MoodLevel
    care: CareDecision | None
    streak: int
    changed: bool  # the prompt was already answered; its mood was changed


@dataclass(frozen=True)
class History:
    days: int
    entries: tuple[MoodEntry, ...]
    streak: int
    tz: str

    def summary(self) -> str:
        if not self.entries:
            return (
                f"No check-ins in the last {self.days} days. That's fine; "
                "use `/checkin now` whenever you like."
            )
        moods = [e.mood for e in self.entries]
        average = sum(moods) / len(moods)
        counts = Counter(moods)
        spread = ", ".join(f"{mood(v).emoji} {counts[v]}" for v in range(5, 0, -1) if counts.get(v))
        tags = Counter(t for e in self.entries for t in e.tags)
        lines = [
            f"**Last {self.days} days:** {len(moods)} check-in{'s' if len(moods) != 1 else ''}, "
            f"average {average:.1f}/5 ({spread}).",
        ]
        if tags:
            top = ", ".join(FEELING_TAGS.get(t, t).lower() for t, _ in tags.most_common(3))
            lines.append(f"**Feelings you noted most:** {top}.")
        if self.streak >= 2:
            lines.append(f"**Streak:** {self.streak} days in a row. Nice rhythm.")
        return "\n".join(lines)


def streak_from(dates: Sequence[date], today: date) -> int:
    """Consecutive days with a check-in ending today, or yesterday (today isn't over yet)."""
    seen = set(dates)
    day = today if today in seen else today - timedelta(days=1)
    count = 0
    while day in seen:
        count += 1
        day -= timedelta(days=1)
    return count


def week_sentence(this_week: Sequence[MoodEntry], last_week: Sequence[MoodEntry]) -> str:
    if not this_week:
        return (
            "No check-ins in the last 7 days, and that's okay. "
            "`/checkin now` is here whenever you want it."
        )
    avg = sum(e.mood for e in this_week) / len(this_week)
    count = f"{len(this_week)} check-in{'s' if len(this_week) != 1 else ''}"
    if last_week:
        before = sum(e.mood for e in last_week) / len(last_week)
        delta = avg - before
        if delta >= 0.5:
            trend = f"up from {before:.1f} the week before"
        elif delta <= -0.5:
            trend = f"a bit lower than {before:.1f} the week before; go easy on yourself"
        else:
            trend = f"about the same as the week before ({before:.1f})"
        sentence = f"This week: {count}, average mood {avg:.1f}/5, {trend}."
    else:
        sentence = f"This week: {count}, average mood {avg:.1f}/5."
    tags = Counter(t for e in this_week for t in e.tags)
    if tags:
        tag, _ = tags.most_common(1)[0]
        sentence += f" The feeling you noted most: {FEELING_TAGS.get(tag, tag).lower()}."
    return sentence


class CheckinService:
    def __init__(
        self,
        db: aiosqlite.Connection,
        settings: CheckinSettings,
        *,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.repo = CheckinRepository(db)
        self.settings = settings
        self.now = now

    # --- opt-in and preferences ------------------------------------------------------

    async def start(
        self,
        user_id: int,
        *,
        guild_id: int | None,
        at: str,
        tz: str,
        days: str | None = None,
    ) -> ScheduleInfo:
        """Opt in (or change the schedule). Re-enables a schedule marked can't-reach."""
        chosen_time = parse_time(at)
        zone_for(tz)  # validates, with a friendly error
        chosen_days = parse_days(days)
        schedule = Schedule(local_time=chosen_time, tz=tz, days=chosen_days)
        now = self.now()
        await self.repo.save_schedule(
            user_id,
            guild_id=guild_id,
            local_time=chosen_time,
            tz=tz,
            days_mask=days_to_mask(chosen_days),
            status="active",
            resume_on=None,
            skip_date=None,
            next_run_utc=next_run(schedule, now),
        )
        return await self.info(user_id)

    async def stop(self, user_id: int) -> bool:
        row = await self.repo.get_schedule(user_id)
        if row is None or row.status == "off":
            return False
        await self.repo.save_schedule(user_id, status="off", next_run_utc=None)
        return True

    async def pause(self, user_id: int, until: str) -> ScheduleInfo:
        """No prompts before local date ``until`` (YYYY-MM-DD); they restart that day."""
        row = await self._active(user_id)
        try:
            resume = date.fromisoformat(until.strip())
        except ValueError:
            raise UserFacingError(
                f"'{until[:20]}' is not a date I understand. Use YYYY-MM-DD, e.g. 2025-03-14."
            ) from None
        today = local_date(self.now(), row.tz)
        if resume <= today:
            raise UserFacingError("Pick a date after today: check-ins start again on that date.")
        if resume > today + timedelta(days=MAX_PAUSE_DAYS):
            raise UserFacingError(
                "You can pause for up to a year. To stop fully, use `/checkin stop`."
            )
        return await self._reschedule(row, resume_on=resume)

    async def resume(self, user_id: int) -> ScheduleInfo:
        row = await self._active(user_id)
        return await self._reschedule(row, resume_on=None)

    async def skip_today(self, user_id: int) -> tuple[bool, ScheduleInfo]:
        """Skip today's prompt. Returns (whether anything was skipped, the new info)."""
        row = await self._active(user_id)
        today = local_date(self.now(), row.tz)
        already = await self.repo.prompt_for(user_id, today)
        schedule = row.schedule()
        assert schedule is not None
        pending = (
            already is None
            and schedule.runs_on(today)
            and (row.next_run_utc is not None and local_date(row.next_run_utc, row.tz) == today)
        )
        info = await self._reschedule(row, skip_date=today)
        return pending, info

    async def share_with_mods(self, user_id: int, guild_id: int | None, enabled: bool) -> None:
        if enabled and guild_id is None:
            raise UserFacingError(
                "Run this inside the server whose moderators you'd like to hear about it."
            )
        await self.repo.save_schedule(user_id, share_guild_id=guild_id if enabled else None)

    async def info(self, user_id: int) -> ScheduleInfo:
        row = await self.repo.get_schedule(user_id)
        if row is None:
            return ScheduleInfo("off", None, "UTC", "", None, None, None, False, None)
        return ScheduleInfo(
            status=row.status,
            local_time=row.local_time,
            tz=row.tz,
            days=describe_days(row.schedule().days) if row.schedule() else "",  # type: ignore[union-attr]
            resume_on=row.resume_on,
            skip_date=row.skip_date,
            next_run=row.next_run_utc,
            shares_with_mods=row.share_guild_id is not None,
            share_guild_id=row.share_guild_id,
        )

    async def schedule_row(self, user_id: int) -> ScheduleRow | None:
        return await self.repo.get_schedule(user_id)

    async def _active(self, user_id: int) -> ScheduleRow:
        row = await self.repo.get_schedule(user_id)
        if row is None or row.status == "off" or row.local_time is None:
            raise UserFacingError(
                "You don't have daily check-ins on. Start them with `/checkin start`."
            )
        if row.status == "unreachable":
            raise UserFacingError(
                "Your check-ins are paused because I couldn't DM you. Allow DMs from this server "
                "(Server → Privacy Settings → Direct Messages), then run `/checkin start` again."
            )
        return row

    async def _reschedule(self, row: ScheduleRow, **changes: object) -> ScheduleInfo:
        schedule = row.schedule()
        assert schedule is not None
        values = {
            "resume_on": changes.get("resume_on", row.resume_on),
            "skip_date": changes.get("skip_date", row.skip_date),
        }
        updated = Schedule(
            local_time=schedule.local_time,
            tz=schedule.tz,
            days=schedule.days,
            resume_on=values["resume_on"],  # type: ignore[arg-type]
            skip_date=values["skip_date"],  # type: ignore[arg-type]
        )
        await self.repo.save_schedule(
            row.user_id, **values, next_run_utc=next_run(updated, self.now())
        )
        return await self.info(row.user_id)

    # --- the tick ------------------------------------------------------------------

    async def tick(self, limit: int = MAX_DUE_PER_TICK) -> list[Outgoing]:
        """Claim due prompts (and reminders) in one transaction and return what to send.

        Each due schedule gets its next run; a prompt is claimed by inserting the
        (user, local date) row first, so overlapping ticks and restarts never send twice.
        """
        now = self.now()
        out: list[Outgoing] = []
        async with self.repo.transaction():
            due = await self.repo.due_schedules(now, limit)
            claims: list[tuple[int, date]] = []
            updates: list[tuple[int, datetime | None]] = []
            guilds: dict[int, int | None] = {}
            for row in due:
                schedule = row.schedule()
                try:
                    if schedule is None:
                        raise ValueError("active schedule without a time")
                    day = due_date(schedule, row.next_run_utc, now)
                    following = next_run(schedule, now)
                except Exception:
                    # One broken row (e.g. a zone tzdata no longer has) must not stall the tick.
                    log.exception(
                        "check-in schedule of user %s is invalid; unscheduled", row.user_id
                    )
                    updates.append((row.user_id, None))
                    continue
                if day is not None:
                    claims.append((row.user_id, day))
                    guilds[row.user_id] = row.guild_id
                updates.append((row.user_id, following))
            won = await self.repo.claim_prompts(claims, now) if claims else {}
            await self.repo.set_next_runs(updates)
            reminders = (
                await self.repo.claim_reminders(now, limit) if self.settings.reminder_hours else []
            )
        for (user_id, day), prompt_id in won.items():
            out.append(Outgoing(prompt_id, user_id, day, "prompt", GREETING, guilds[user_id]))
        for prompt in reminders:
            if local_date(now, await self._tz(prompt.user_id)) != prompt.local_date:
                continue  # the day is over; no nudge about yesterday
            out.append(
                Outgoing(prompt.id, prompt.user_id, prompt.local_date, "reminder", REMINDER, None)
            )
        if due or out:
            log.info("check-in tick: %d due, %d to send", len(due), len(out))
        return out

    async def _tz(self, user_id: int) -> str:
        row = await self.repo.get_schedule(user_id)
        return row.tz if row is not None else "UTC"

    async def mark_sent(
        self, item: Outgoing, *, channel_id: int | None, message_id: int | None
    ) -> None:
        if item.kind != "prompt":
            return
        hours = self.settings.reminder_hours
        reminder = self.now() + timedelta(hours=hours) if hours else None
        await self.repo.mark_prompt_sent(
            item.prompt_id,
            channel_id=channel_id,
            message_id=message_id,
            now=self.now(),
            reminder_due=reminder,
        )

    async def mark_failed(self, item: Outgoing) -> None:
        """A transient failure: this prompt is not retried (at most one per day)."""
        if item.kind == "prompt":
            await self.repo.mark_prompt_failed(item.prompt_id)

    async def mark_unreachable(self, item: Outgoing) -> None:
        """DMs are closed: stop trying daily until the person runs /checkin start again."""
        if item.kind == "prompt":
            await self.repo.mark_prompt_failed(item.prompt_id)
        await self.repo.save_schedule(item.user_id, status="unreachable", next_run_utc=None)

    async def set_unreachable(self, user_id: int) -> None:
        """A DM at opt-in failed: keep the choices, schedule nothing until /checkin start."""
        await self.repo.save_schedule(user_id, status="unreachable", next_run_utc=None)

    # --- answers -------------------------------------------------------------------

    async def answer_prompt(self, prompt_id: int, user_id: int, value: int) -> AnswerResult:
        prompt = await self.repo.get_prompt(prompt_id)
        if prompt is None or prompt.user_id != user_id:
            raise UserFacingError("This check-in isn't yours, or it no longer exists.")
        existing = await self.repo.entry_for_prompt(prompt_id)
        return await self._record(
            user_id, value, prompt=prompt, day=prompt.local_date, changed=existing is not None
        )

    async def log_now(self, user_id: int, value: int) -> AnswerResult:
        tz = await self._tz(user_id)
        return await self._record(
            user_id, value, prompt=None, day=local_date(self.now(), tz), changed=False
        )

    async def _record(
        self, user_id: int, value: int, *, prompt: PromptRow | None, day: date, changed: bool
    ) -> AnswerResult:
        level = mood(value)
        now = self.now()
        entry_id = await self.repo.record_entry(
            user_id=user_id,
            mood=level.value,
            day=day,
            now=now,
            prompt_id=prompt.id if prompt else None,
            source="prompt" if prompt else "now",
        )
        care = await self._care(user_id, now) if level.value == LOWEST else None
        return AnswerResult(entry_id, level, care, await self.streak(user_id), changed)

    async def _care(self, user_id: int, now: datetime) -> CareDecision | None:
        window = timedelta(days=self.settings.low_mood_days)
        lows = await self.repo.count_mood_since(user_id, LOWEST, now - window)
        if lows < self.settings.low_mood_count:
            return None
        # At most once per window; claimed before anything is sent.
        if not await self.repo.claim_care(user_id, now, not_since=now - window):
            return None
        row = await self.repo.get_schedule(user_id)
        share = row.share_guild_id if row else None
        heads_up = (
            MODS_HEADS_UP.format(mention=f"<@{user_id}>", days=self.settings.low_mood_days)
            if share
            else None
        )
        return CareDecision(CARE_MESSAGE, share, heads_up)

    async def set_tags(self, entry_id: int, user_id: int, tags: Sequence[str]) -> tuple[str, ...]:
        clean = tuple(dict.fromkeys(t for t in tags if t in FEELING_TAGS))
        if not await self.repo.set_entry_tags(entry_id, user_id, clean):
            raise UserFacingError("This check-in isn't yours, or it no longer exists.")
        return clean

    async def set_note(self, entry_id: int, user_id: int, note: str) -> str | None:
        text = note.strip()
        if len(text) > NOTE_MAX:
            raise UserFacingError(f"Notes can be up to {NOTE_MAX:,} characters.")
        if not await self.repo.set_entry_note(entry_id, user_id, text or None):
            raise UserFacingError("This check-in isn't yours, or it no longer exists.")
        return text or None

    async def entry(self, entry_id: int) -> MoodEntry | None:
        return await self.repo.get_entry(entry_id)

    # --- history -------------------------------------------------------------------

    async def streak(self, user_id: int) -> int:
        tz = await self._tz(user_id)
        return streak_from(await self.repo.logged_dates(user_id), local_date(self.now(), tz))

    async def history(self, user_id: int, days: int = 30) -> History:
        if not 1 <= days <= HISTORY_MAX_DAYS:
            raise UserFacingError(f"Choose between 1 and {HISTORY_MAX_DAYS} days.")
        since = self.now() - timedelta(days=days)
        entries = await self.repo.entries_since(user_id, since)
        return History(days, tuple(entries), await self.streak(user_id), await self._tz(user_id))

    async def week(self, user_id: int) -> str:
        now = self.now()
        entries = await self.repo.entries_since(user_id, now - timedelta(days=14))
        cut = now - timedelta(days=7)
        this_week = [e for e in entries if e.created_utc >= cut]
        last_week = [e for e in entries if e.created_utc < cut]
        return week_sentence(this_week, last_week)

    async def forget(self, user_id: int) -> None:
        await self.repo.delete_user(user_id)
