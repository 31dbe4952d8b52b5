"""The helplines directory (resources/helplines.toml) and each member's own country.

``helplines_for(country)`` answers from the bundled directory, falling back to the global
entries; ``HelplineService`` adds the person-level chain: member setting → guild default
→ global. The directory is validated on load, so a bad edit fails at start-up, not in a DM.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import time
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import aiosqlite

from bot.countries import countries, normalise_country
from bot.db.guild_settings import GuildSettingsRepository

log = logging.getLogger(__name__)

_CONTACT_FIELDS = ("phone", "text", "chat", "email")
_HELPLINE_FIELDS = {
    "name",
    *_CONTACT_FIELDS,
    "hours",
    "languages",
    "source",
    "last_verified",
    "verified",
    "notes",
}
_COUNTRY_FIELDS = {"name", "emergency", "helplines"}


class HelplineDataError(ValueError):
    """resources/helplines.toml breaks the schema; the message says where."""


@dataclass(frozen=True, slots=True)
class Helpline:
    name: str
    hours: str
    languages: tuple[str, ...]
    source: str
    last_verified: dt.date
    phone: str | None = None
    text: str | None = None
    chat: str | None = None
    email: str | None = None
    verified: bool = True
    notes: str | None = None

    def contact_line(self) -> str:
        """One line a person can act on: "Samaritans — call 116 123 · email jo@… (24/7)"."""
        ways = []
        if self.phone:
            ways.append(f"call {self.phone}")
        if self.text:
            ways.append(f"text {self.text}")
        if self.chat:
            ways.append(f"chat {self.chat}")
        if self.email:
            ways.append(f"email {self.email}")
        return f"**{self.name}** — {' · '.join(ways)} ({self.hours})"


@dataclass(frozen=True, slots=True)
class CountryHelplines:
    code: str  # ISO 3166 alpha-2, or "global"
    name: str
    helplines: tuple[Helpline, ...]
    emergency: str | None = None


@dataclass(frozen=True, slots=True)
class HelplineChoice:
    """What to show one person: their country (or None), its entries, its emergency number."""

    country: str | None
    name: str
    helplines: tuple[Helpline, ...]
    emergency: str | None
    is_fallback: bool

    def for_dm(self, limit: int = 2) -> tuple[Helpline, ...]:
        """One or two verified entries (safe-messaging: a short list, not a wall)."""
        verified = tuple(h for h in self.helplines if h.verified)
        return (verified or self.helplines)[:limit]


class HelplineDirectory:
    def __init__(self, entries: dict[str, CountryHelplines], fallback: CountryHelplines) -> None:
        self._entries = entries
        self.fallback = fallback

    @property
    def codes(self) -> list[str]:
        return sorted(self._entries)

    def get(self, country: str | None) -> CountryHelplines | None:
        if not country:
            return None
        code = normalise_country(country)
        return self._entries.get(code) if code else None

    def choose(self, country: str | None) -> HelplineChoice:
        entry = self.get(country)
        if entry is None:
            return HelplineChoice(
                country=normalise_country(country) if country else None,
                name=self.fallback.name,
                helplines=self.fallback.helplines,
                emergency=None,
                is_fallback=True,
            )
        return HelplineChoice(entry.code, entry.name, entry.helplines, entry.emergency, False)


def parse_directory(data: dict[str, Any]) -> HelplineDirectory:
    """Validate and build the directory; raise ``HelplineDataError`` naming the bad entry."""
    unknown = set(data) - {"global", "countries"}
    if unknown:
        raise HelplineDataError(f"unknown top-level keys: {sorted(unknown)}")
    if "global" not in data:
        raise HelplineDataError("missing [global] fallback entries")
    fallback = _parse_country("global", data["global"])
    known = countries()
    entries: dict[str, CountryHelplines] = {}
    for code, raw in (data.get("countries") or {}).items():
        if code not in known:
            raise HelplineDataError(f"countries.{code}: not an ISO 3166 alpha-2 code")
        entries[code] = _parse_country(code, raw)
    return HelplineDirectory(entries, fallback)


def _parse_country(code: str, raw: Any) -> CountryHelplines:
    where = "global" if code == "global" else f"countries.{code}"
    if not isinstance(raw, dict):
        raise HelplineDataError(f"{where}: must be a table")
    unknown = set(raw) - _COUNTRY_FIELDS
    if unknown:
        raise HelplineDataError(f"{where}: unknown keys {sorted(unknown)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise HelplineDataError(f"{where}: needs a name")
    emergency = raw.get("emergency")
    if emergency is not None and (not isinstance(emergency, str) or not emergency.strip()):
        raise HelplineDataError(f"{where}: emergency must be a non-empty string")
    items = raw.get("helplines")
    if not isinstance(items, list) or not items:
        raise HelplineDataError(f"{where}: needs at least one [[helplines]] entry")
    helplines = tuple(
        _parse_helpline(f"{where}.helplines[{i}]", item) for i, item in enumerate(items)
    )
    return CountryHelplines(code=code, name=name, helplines=helplines, emergency=emergency)


def _parse_helpline(where: str, raw: Any) -> Helpline:
    if not isinstance(raw, dict):
        raise HelplineDataError(f"{where}: must be a table")
    unknown = set(raw) - _HELPLINE_FIELDS
    if unknown:
        raise HelplineDataError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("name", "hours", "source"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise HelplineDataError(f"{where}: needs {key}")
    if not raw["source"].startswith("https://"):
        raise HelplineDataError(f"{where}: source must be an https:// URL")
    if not any(isinstance(raw.get(k), str) and raw[k].strip() for k in _CONTACT_FIELDS):
        raise HelplineDataError(f"{where}: needs at least one of {', '.join(_CONTACT_FIELDS)}")
    verified_on = raw.get("last_verified")
    if not isinstance(verified_on, dt.date) or isinstance(verified_on, dt.datetime):
        raise HelplineDataError(f"{where}: last_verified must be a date (YYYY-MM-DD)")
    languages = raw.get("languages")
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(x, str) and x for x in languages)
    ):
        raise HelplineDataError(f"{where}: languages must be a non-empty list of strings")
    verified = raw.get("verified", True)
    if not isinstance(verified, bool):
        raise HelplineDataError(f"{where}: verified must be true or false")
    return Helpline(
        name=raw["name"],
        hours=raw["hours"],
        languages=tuple(languages),
        source=raw["source"],
        last_verified=verified_on,
        phone=raw.get("phone"),
        text=raw.get("text"),
        chat=raw.get("chat"),
        email=raw.get("email"),
        verified=verified,
        notes=raw.get("notes"),
    )


@cache
def load_directory() -> HelplineDirectory:
    """The bundled directory (parsed once)."""
    text = (resources.files("resources") / "helplines.toml").read_text("utf-8")
    return parse_directory(tomllib.loads(text))


def helplines_for(country: str | None) -> list[Helpline]:
    """Helplines for an ISO code; unknown or missing country → the global fallback."""
    return list(load_directory().choose(country).helplines)


async def _commit(db: aiosqlite.Connection, attempts: int = 100) -> None:
    """Commit, waiting out another repository's unfinished cursor on the shared connection."""
    for attempt in range(attempts):
        try:
            await db.commit()
            return
        except sqlite3.OperationalError as exc:
            if "statements in progress" not in str(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.002)


class HelplineService:
    """Sole writer of ``member_country``; resolves what helplines one person sees."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        guild_settings: GuildSettingsRepository,
        directory: HelplineDirectory | None = None,
    ) -> None:
        self._db = db
        self._guild_settings = guild_settings
        self.directory = directory or load_directory()

    async def member_country(self, user_id: int) -> str | None:
        rows = await self._db.execute_fetchall(
            "SELECT country FROM member_country WHERE user_id = ?", (user_id,)
        )
        row = rows[0] if rows else None
        return row[0] if row else None

    async def set_member_country(self, user_id: int, country: str | None) -> str | None:
        """Store (or with ``None`` clear) a member's country; returns the normalised code.

        Raises ``ValueError`` for an unknown code."""
        if country is None:
            await self._db.execute("DELETE FROM member_country WHERE user_id = ?", (user_id,))
            await _commit(self._db)
            return None
        code = normalise_country(country)
        if code is None:
            raise ValueError(f"unknown country code {country[:10]!r}")
        await self._db.execute(
            "INSERT INTO member_country (user_id, country, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET country = excluded.country, "
            "updated_at = excluded.updated_at",
            (user_id, code, int(time.time())),
        )
        await _commit(self._db)
        return code

    async def country_for(self, user_id: int | None, guild_id: int | None) -> str | None:
        """Member setting → guild default → None (global)."""
        if user_id is not None:
            mine = await self.member_country(user_id)
            if mine:
                return mine
        if guild_id is not None:
            return (await self._guild_settings.get(guild_id)).country
        return None

    async def for_person(self, user_id: int | None, guild_id: int | None) -> HelplineChoice:
        return self.directory.choose(await self.country_for(user_id, guild_id))
