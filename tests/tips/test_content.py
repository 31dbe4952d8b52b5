"""Every tip file in resources/tips validates, and the library meets issue 7's bar."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from importlib import resources
from urllib.parse import urlparse

import pytest

from bot.tips.loader import (
    SYNONYMS_FILE,
    LibraryError,
    build_library,
    load_library,
    parse_category_file,
    parse_synonyms,
    tip_files,
)
from bot.tips.models import MAX_BODY, MAX_TITLE, LibraryTip

REQUIRED_CATEGORIES = {
    "anxiety",
    "panic",
    "grounding",
    "low-mood",
    "sleep",
    "stress",
    "loneliness",
    "self-esteem",
    "anger",
    "grief",
    "self-harm-urges",
    "getting-help",
}
# Sources must be public-health or clinical organisations (or a university hospital).
REPUTABLE_HOSTS = (
    "nhs.uk",
    "mind.org.uk",
    "samaritans.org",
    "nimh.nih.gov",
    "camh.ca",
    "beyondblue.org.au",
    "reachout.com",
    "hse.ie",
    "urmc.rochester.edu",
    "988lifeline.org",
)
# Techniques current self-harm guidance advises against, and method words.
FORBIDDEN = re.compile(
    r"rubber band|elastic band|snap(ping)? a band|red pen|draw on your skin|razor|blade|"
    r"overdose|\bpills?\b|ligature|commit(ted)? suicide",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def library():
    return load_library()


def _raw_files() -> list[tuple[str, dict]]:
    return [(e.name, tomllib.loads(e.read_text("utf-8"))) for e in tip_files()]


def test_every_file_parses_and_validates_on_its_own() -> None:
    files = _raw_files()
    assert len(files) >= 10
    for name, data in files:
        category, tips = parse_category_file(name, data)
        assert category.id == name.removesuffix(".toml")
        assert tips, name


def test_library_size_and_categories(library) -> None:
    assert len(library.tips) >= 60
    ids = {c.id for c in library.categories}
    assert len(ids) >= 10
    assert ids >= REQUIRED_CATEGORIES
    per_category = Counter(t.category for t in library.tips)
    assert min(per_category[c] for c in ids) >= 5


def test_ids_and_titles_are_unique(library) -> None:
    ids = [t.id for t in library.tips]
    titles = [t.title.casefold() for t in library.tips]
    assert len(ids) == len(set(ids))
    assert len(titles) == len(set(titles))


def test_every_tip_is_complete_and_within_limits(library) -> None:
    for tip in library.tips:
        assert isinstance(tip, LibraryTip)
        assert tip.category in library.category_by_id
        assert 0 < len(tip.title) <= MAX_TITLE
        assert 20 <= len(tip.body) <= MAX_BODY, tip.id
        assert tip.duration_minutes >= 1
        assert tip.tags, tip.id
        assert len(tip.evidence) >= 10, tip.id
        assert tip.id.startswith(tip.category), f"{tip.id} should start with its category"
        assert "  " not in tip.body  # line continuations were tidied


def test_every_tip_has_an_https_source_from_a_reputable_host(library) -> None:
    for tip in library.tips:
        assert tip.source is not None
        assert tip.source.name.strip()
        url = urlparse(str(tip.source.url))
        assert url.scheme == "https", tip.id
        assert url.hostname is not None
        assert url.hostname.endswith(REPUTABLE_HOSTS), (tip.id, url.hostname)


def test_no_method_details_or_discouraged_techniques(library) -> None:
    for tip in library.tips:
        text = " ".join([tip.title, tip.body, *tip.steps, *tip.tags, tip.evidence])
        assert not FORBIDDEN.search(text), tip.id


def test_self_harm_urges_cover_current_guidance(library) -> None:
    text = " ".join(
        f"{t.title} {t.body} {' '.join(t.steps)} {t.evidence}".lower()
        for t in library.in_category("self-harm-urges")
    )
    for idea in ("15 minutes", "distraction", "urge surfing", "helpline", "plan"):
        assert idea in text, idea


def test_grief_and_self_harm_are_never_tip_of_the_day(library) -> None:
    not_daily = {c.id for c in library.categories if not c.daily}
    assert {"grief", "self-harm-urges"} <= not_daily


def test_synonyms_point_at_real_categories(library) -> None:
    assert library.synonyms.terms["cant sleep"][0] == "category:sleep"
    assert set(library.synonyms.mood_tags) >= {"anxious", "tired", "lonely", "calm", "hopeful"}


# -- the validator itself rejects bad content ---------------------------------------------

GOOD_TIP = {
    "id": "demo-one",
    "title": "A demo tip",
    "body": "Something long enough to be a real tip body.",
    "duration_minutes": 5,
    "tags": ["demo"],
    "evidence": "Demonstration only",
    "source": {"name": "NHS", "url": "https://www.nhs.uk/"},
}


def _file(**tip_changes) -> dict:
    return {
        "category": {"id": "demo", "name": "Demo", "description": "A demo category."},
        "tips": [{**GOOD_TIP, **tip_changes}],
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"source": {"name": "Somewhere", "url": "http://example.org/"}}, "https"),
        ({"source": {"name": "Somewhere", "url": ""}}, "url"),
        ({"body": "x" * (MAX_BODY + 1)}, "body"),
        ({"title": "x" * (MAX_TITLE + 1)}, "title"),
        ({"id": "Not An Id"}, "id"),
        ({"duration_minutes": 0}, "duration"),
        ({"evidence": ""}, "evidence"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_tips_are_rejected_with_the_field_named(changes, message) -> None:
    with pytest.raises(LibraryError, match=message):
        parse_category_file("demo.toml", _file(**changes))


def test_missing_source_is_rejected() -> None:
    data = _file()
    del data["tips"][0]["source"]
    with pytest.raises(LibraryError, match="source"):
        parse_category_file("demo.toml", data)


def test_category_must_match_file_name_and_exist() -> None:
    with pytest.raises(LibraryError, match="must match the file name"):
        parse_category_file("other.toml", _file())
    with pytest.raises(LibraryError, match=r"missing \[category\]"):
        parse_category_file("demo.toml", {"tips": [GOOD_TIP]})


def test_duplicate_ids_and_titles_across_files_are_rejected() -> None:
    second = _file(id="demo-two")
    second["category"] = {"id": "again", "name": "Again", "description": "Another category."}
    with pytest.raises(LibraryError, match="duplicate tip title"):
        build_library([("demo.toml", _file()), ("again.toml", second)], parse_synonyms({}))
    third = _file(title="Different title")
    third["category"] = second["category"]
    with pytest.raises(LibraryError, match="duplicate tip id"):
        build_library([("demo.toml", _file()), ("again.toml", third)], parse_synonyms({}))


def test_synonyms_naming_unknown_categories_are_rejected() -> None:
    synonyms = parse_synonyms({"terms": {"x": ["category:nope"]}})
    with pytest.raises(LibraryError, match="unknown category:nope"):
        build_library([("demo.toml", _file())], synonyms)


def test_synonyms_file_is_shipped() -> None:
    assert (resources.files("resources") / "tips" / SYNONYMS_FILE).is_file()
