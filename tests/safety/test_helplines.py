"""resources/helplines.toml: schema, ISO codes, sources; lookup and the fallback chain."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources

import pytest

from bot.countries import countries
from bot.db import apply_migrations, open_database
from bot.db.guild_settings import GuildSettingsRepository
from bot.safety.helplines import (
    HelplineDataError,
    HelplineService,
    helplines_for,
    load_directory,
    parse_directory,
)

RESEARCH_COUNTRIES = {"US", "CA", "GB", "IE", "AU", "NZ", "IN", "DE", "FR", "BR", "PH", "ZA"}
# Emergency numbers stated in the research notes (911 US/CA, 999 UK, 112 EU, 000 AU, 111 NZ).
EMERGENCY = {"US": "911", "CA": "911", "GB": "999", "IE": "112", "DE": "112", "FR": "112",
             "AU": "000", "NZ": "111"}  # fmt: skip


def raw() -> dict:
    return tomllib.loads((resources.files("resources") / "helplines.toml").read_text("utf-8"))


def test_the_bundled_file_validates_and_covers_the_research_countries() -> None:
    directory = load_directory()
    assert set(directory.codes) >= RESEARCH_COUNTRIES
    assert directory.fallback.helplines


def test_every_country_code_is_iso_3166() -> None:
    for code in raw()["countries"]:
        assert code in countries(), code


def test_every_entry_has_a_source_a_date_and_a_way_to_reach_it() -> None:
    directory = load_directory()
    entries = [directory.fallback, *(directory.get(code) for code in directory.codes)]
    for country in entries:
        assert country is not None
        for h in country.helplines:
            assert h.source.startswith("https://"), h.name
            assert isinstance(h.last_verified, dt.date)
            assert h.last_verified <= dt.date.today()
            assert h.phone or h.text or h.chat or h.email, h.name
            assert h.hours
            assert h.languages


def test_emergency_numbers_match_the_research_notes() -> None:
    directory = load_directory()
    for code, number in EMERGENCY.items():
        entry = directory.get(code)
        assert entry is not None
        assert entry.emergency == number


def test_known_numbers() -> None:
    assert helplines_for("GB")[0].phone == "116 123"
    assert helplines_for("us")[0].phone == "988"
    assert helplines_for("UK")[0].name == "Samaritans"  # UK is accepted as GB
    assert helplines_for("AU")[0].phone == "13 11 14"


def test_unknown_or_missing_country_falls_back_to_global() -> None:
    fallback = [h.name for h in load_directory().fallback.helplines]
    assert [h.name for h in helplines_for(None)] == fallback
    assert [h.name for h in helplines_for("JP")] == fallback  # valid code, no entry yet
    assert [h.name for h in helplines_for("XX")] == fallback


def test_dm_choice_uses_at_most_two_verified_entries() -> None:
    directory = load_directory()
    for code in directory.codes:
        picked = directory.choose(code).for_dm()
        assert 1 <= len(picked) <= 2
        assert all(h.verified for h in picked), code
    nz = directory.choose("NZ")
    assert any(not h.verified for h in nz.helplines)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["countries"].update({"XX": d["countries"]["GB"]}), "ISO 3166"),
        (lambda d: d["countries"]["GB"]["helplines"][0].pop("source"), "needs source"),
        (lambda d: d["countries"]["GB"]["helplines"][0].update(source="http://x"), "https"),
        (lambda d: d["countries"]["GB"]["helplines"][0].pop("last_verified"), "last_verified"),
        (lambda d: d["countries"]["GB"]["helplines"][0].update(typo=1), "unknown keys"),
        (lambda d: d.pop("global"), "global"),
        (lambda d: d["countries"]["GB"].update(helplines=[]), "at least one"),
        (
            lambda d: [
                d["countries"]["GB"]["helplines"][0].pop(k, None) for k in ("phone", "email")
            ],
            "at least one of",
        ),
    ],
)
def test_validation_names_the_problem(mutate, message: str) -> None:
    data = raw()
    mutate(data)
    with pytest.raises(HelplineDataError, match=message):
        parse_directory(data)


async def test_member_setting_then_guild_default_then_global(tmp_path) -> None:
    db = await open_database(":memory:")
    try:
        await apply_migrations(db)
        guilds = GuildSettingsRepository(db)
        service = HelplineService(db, guilds)
        assert (await service.for_person(1, 5)).is_fallback
        await guilds.update(5, country="AU")
        assert (await service.for_person(1, 5)).country == "AU"
        assert await service.set_member_country(1, "gb") == "GB"
        choice = await service.for_person(1, 5)
        assert (choice.country, choice.emergency) == ("GB", "999")
        assert (await service.for_person(2, 5)).country == "AU"  # others keep the guild's
        with pytest.raises(ValueError):
            await service.set_member_country(1, "Narnia")
        assert await service.member_country(1) == "GB"
        await service.set_member_country(1, None)
        assert (await service.for_person(1, None)).is_fallback
    finally:
        await db.close()
