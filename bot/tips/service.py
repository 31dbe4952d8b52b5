"""The tips feature as one service: library, search, selection, saved and server tips,
and tip of the day. Plain values in and out; no discord imports."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlparse

import aiosqlite
from pydantic import ValidationError

from bot.errors import UserFacingError
from bot.tips.loader import Library, load_library
from bot.tips.models import Category, Source, Tip, TipContent
from bot.tips.repository import (
    DailySettings,
    DailyTipRepository,
    SavedTipsRepository,
    ServerTipsRepository,
)
from bot.tips.schedule import from_iso, local_day, next_run, parse_time, parse_zone
from bot.tips.search import TipIndex
from bot.tips.selection import DAILY_NO_REPEAT_DAYS, choose_daily, suggest_for_mood

log = logging.getLogger(__name__)

MAX_SAVED = 100
MAX_SERVER_TIPS = 200
# After an outage, a tip of the day more than this late is skipped rather than posted
# at an odd hour; the next one comes at the usual time.
MAX_LATE = timedelta(hours=3)

_STEP_PREFIX = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s*")
_FIELD_NAMES = {
    "title": "Title",
    "body": "Tip text",
    "steps": "Steps",
    "tags": "Tags",
    "duration_minutes": "Duration",
    "url": "Source link",
}


@dataclass(frozen=True)
class DailyPost:
    guild_id: int
    channel_id: int
    tip: Tip
    day: date


def parse_steps(text: str | None) -> list[str]:
    """One step per line; leading '1.', '2)', '-' or '*' is dropped."""
    if not text:
        return []
    return [_STEP_PREFIX.sub("", line).strip() for line in text.splitlines() if line.strip()]


def parse_tags(text: str | None) -> list[str]:
    if not text:
        return []
    return [t.strip().lower() for t in re.split(r"[,;\n]", text) if t.strip()]


def _friendly(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        field = next((str(p) for p in err["loc"] if isinstance(p, str)), "value")
        problems.append(f"{_FIELD_NAMES.get(field, field)}: {err['msg'].lower()}")
    return "That tip can't be saved. " + "; ".join(dict.fromkeys(problems)) + "."


class TipsService:
    def __init__(self, db: aiosqlite.Connection, library: Library | None = None) -> None:
        self.library = library or load_library()
        self.saved = SavedTipsRepository(db)
        self.server = ServerTipsRepository(db)
        self.daily = DailyTipRepository(db)
        self._library_index = self._build_index(self.library.tips)

    def _build_index(self, tips: Iterable[Tip]) -> TipIndex:
        return TipIndex(list(tips), self.library.category_by_id, self.library.synonyms.terms)

    # -- library ------------------------------------------------------------------

    @property
    def categories(self) -> tuple[Category, ...]:
        return self.library.categories

    def category(self, category_id: str) -> Category:
        found = self.library.category_by_id.get(category_id)
        if found is None:
            names = ", ".join(c.id for c in self.categories)
            raise UserFacingError(f"There is no tips category '{category_id[:40]}'. Try: {names}.")
        return found

    async def tips_in(self, category_id: str, guild_id: int | None) -> list[Tip]:
        self.category(category_id)
        own = [t for t in await self._server_tips(guild_id) if t.category == category_id]
        return [*self.library.in_category(category_id), *own]

    async def get(self, tip_id: str, guild_id: int | None = None) -> Tip | None:
        """A library tip, or a server tip (of ``guild_id``, or of any guild when None)."""
        return self.library.by_id.get(tip_id) or await self.server.get(guild_id, tip_id)

    async def _server_tips(self, guild_id: int | None) -> list[Tip]:
        return await self.server.for_guild(guild_id) if guild_id is not None else []

    async def _index_for(self, guild_id: int | None) -> TipIndex:
        own = await self._server_tips(guild_id)
        return self._build_index([*self.library.tips, *own]) if own else self._library_index

    async def search(self, query: str, guild_id: int | None, limit: int = 5) -> list[Tip]:
        index = await self._index_for(guild_id)
        return [tip for tip, _ in index.search(query, limit=limit)]

    async def autocomplete(self, query: str, guild_id: int | None, limit: int = 25) -> list[Tip]:
        index = await self._index_for(guild_id)
        return [tip for tip, _ in index.search(query, limit=limit, prefix=True)]

    async def random_tip(
        self, category_id: str | None, guild_id: int | None, rng: random.Random | None = None
    ) -> Tip:
        rng = rng or random.Random()
        if category_id:
            pool = await self.tips_in(category_id, guild_id)
        else:
            pool = [*self.library.tips, *await self._server_tips(guild_id)]
        return rng.choice(pool)

    def suggest_for_mood(
        self,
        mood_level: int,
        tags: list[str],
        exclude_ids: Collection[str] = (),
        rng: random.Random | None = None,
    ) -> Tip:
        """For the check-in flow: a library tip for mood 1 (lowest) to 5 and feeling tags."""
        return suggest_for_mood(
            self.library.tips,
            mood_level,
            tags,
            exclude_ids,
            mood_tags=self.library.synonyms.mood_tags,
            rng=rng,
        )

    # -- saved tips -----------------------------------------------------------------

    async def save(self, user_id: int, tip_id: str) -> bool:
        if await self.get(tip_id) is None:
            raise UserFacingError("That tip no longer exists.")
        if await self.saved.count(user_id) >= MAX_SAVED:
            raise UserFacingError(
                f"You have {MAX_SAVED} saved tips, the most I keep. Remove some with /tips unsave."
            )
        return await self.saved.save(user_id, tip_id)

    async def unsave(self, user_id: int, tip_id: str) -> bool:
        return await self.saved.unsave(user_id, tip_id)

    async def saved_ids(self, user_id: int) -> set[str]:
        return set(await self.saved.tip_ids(user_id))

    async def saved_tips(self, user_id: int) -> list[Tip]:
        tips = []
        for tip_id in await self.saved.tip_ids(user_id):
            tip = await self.get(tip_id)
            if tip is not None:  # a library tip renamed away, or a server tip removed
                tips.append(tip)
        return tips

    # -- server tips ------------------------------------------------------------------

    def _validate(
        self,
        *,
        category: str,
        title: str,
        body: str,
        steps: str | None,
        tags: str | None,
        duration_minutes: int,
        source_url: str | None,
    ) -> tuple[TipContent, Source | None]:
        self.category(category)
        try:
            content = TipContent(
                title=title,
                body=body,
                steps=tuple(parse_steps(steps)),
                tags=tuple(parse_tags(tags)),
                duration_minutes=duration_minutes,
            )
            source = None
            if source_url and source_url.strip():
                url = source_url.strip()
                host = urlparse(url).hostname or "link"
                source = Source(name=host.removeprefix("www."), url=url)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise UserFacingError(_friendly(exc)) from None
        if content.title.casefold() in {t.title.casefold() for t in self.library.tips}:
            raise UserFacingError("The library already has a tip with that title; pick another.")
        return content, source

    async def add_server_tip(
        self,
        guild_id: int,
        author_id: int | None,
        *,
        category: str,
        title: str,
        body: str,
        steps: str | None = None,
        tags: str | None = None,
        duration_minutes: int = 5,
        source_url: str | None = None,
    ) -> Tip:
        content, source = self._validate(
            category=category,
            title=title,
            body=body,
            steps=steps,
            tags=tags,
            duration_minutes=duration_minutes,
            source_url=source_url,
        )
        if len(await self.server.for_guild(guild_id)) >= MAX_SERVER_TIPS:
            raise UserFacingError(f"This server already has {MAX_SERVER_TIPS} tips of its own.")
        if await self.server.title_taken(guild_id, content.title):
            raise UserFacingError("This server already has a tip with that title.")
        tip = await self.server.add(guild_id, category, content, source, author_id)
        log.info("guild %s added server tip %s", guild_id, tip.id)
        return tip

    async def edit_server_tip(
        self,
        guild_id: int,
        tip_id: str,
        *,
        category: str,
        title: str,
        body: str,
        steps: str | None = None,
        tags: str | None = None,
        duration_minutes: int = 5,
        source_url: str | None = None,
    ) -> Tip:
        await self.require_server_tip(guild_id, tip_id)
        content, source = self._validate(
            category=category,
            title=title,
            body=body,
            steps=steps,
            tags=tags,
            duration_minutes=duration_minutes,
            source_url=source_url,
        )
        if await self.server.title_taken(guild_id, content.title, except_id=tip_id):
            raise UserFacingError("This server already has a tip with that title.")
        tip = await self.server.update(guild_id, tip_id, category, content, source)
        if tip is None:
            raise UserFacingError("That server tip no longer exists.")
        log.info("guild %s edited server tip %s", guild_id, tip_id)
        return tip

    async def require_server_tip(self, guild_id: int, tip_id: str) -> Tip:
        tip = await self.server.get(guild_id, tip_id)
        if tip is None:
            if tip_id in self.library.by_id:
                raise UserFacingError(
                    "That is a tip from Haven's curated library; only this server's own tips "
                    "can be edited or removed."
                )
            raise UserFacingError(f"This server has no tip with id '{tip_id[:40]}'.")
        return tip

    async def remove_server_tip(self, guild_id: int, tip_id: str) -> Tip:
        tip = await self.require_server_tip(guild_id, tip_id)
        await self.server.delete(guild_id, tip_id)
        await self.saved.forget_tip(tip_id)
        log.info("guild %s removed server tip %s", guild_id, tip_id)
        return tip

    async def server_tips(self, guild_id: int) -> list[Tip]:
        return await self.server.for_guild(guild_id)

    # -- tip of the day ---------------------------------------------------------------

    async def configure_daily(
        self,
        guild_id: int,
        channel_id: int,
        time_text: str,
        timezone: str | None = None,
        now: datetime | None = None,
    ) -> DailySettings:
        at = parse_time(time_text)
        zone = parse_zone(timezone)
        now = now or datetime.now(UTC)
        return await self.daily.configure(
            guild_id, channel_id, at.strftime("%H:%M"), zone.key, next_run(at, zone, now)
        )

    async def disable_daily(self, guild_id: int) -> bool:
        return await self.daily.disable(guild_id)

    async def daily_settings(self, guild_id: int) -> DailySettings | None:
        return await self.daily.get(guild_id)

    def _daily_pool(self, own: list[Tip]) -> list[Tip]:
        public = {c.id for c in self.categories if c.daily}
        return [t for t in [*self.library.tips, *own] if t.category in public]

    async def due_daily(self, now: datetime | None = None) -> list[DailyPost]:
        """Claim every guild whose tip of the day is due and choose its tip.

        The choice is recorded before anything is posted (durable before visible); the
        caller posts each ``DailyPost``. A claim moves ``next_run_utc`` to tomorrow's
        local time, so a crash or a second worker never posts twice.
        """
        now = now or datetime.now(UTC)
        posts: list[DailyPost] = []
        for row in await self.daily.due(now):
            zone = parse_zone(row.timezone)
            scheduled = from_iso(row.next_run_utc)
            upcoming = next_run(parse_time(row.local_time), zone, now)
            if not await self.daily.claim(row.guild_id, row.next_run_utc, upcoming):
                continue
            if now - scheduled > MAX_LATE:
                log.info("skipped a late tip of the day for guild %s", row.guild_id)
                continue
            day = local_day(scheduled, zone)
            pool = self._daily_pool(await self.server.for_guild(row.guild_id))
            recent = await self.daily.recent(
                row.guild_id, day - timedelta(days=DAILY_NO_REPEAT_DAYS - 1)
            )
            tip = choose_daily(pool, recent, random.Random(f"{row.guild_id}:{day.isoformat()}"))
            if await self.daily.record(row.guild_id, day, tip.id):
                posts.append(DailyPost(row.guild_id, row.channel_id, tip, day))
        return posts
