"""The crisis copy follows safe-messaging rules and renders the right country's help."""

from __future__ import annotations

import dataclasses
import re

import pytest

from bot.escalation.copy import FORBIDDEN_PHRASES, CopyError, CrisisCopy, validate_copy
from bot.safety.helplines import load_directory

METHOD_WORDS = re.compile(r"\b(pills?|overdose|rope|hang|bridge|jump|knife|razor|cut)\b", re.I)


@pytest.fixture
def copy() -> CrisisCopy:
    return CrisisCopy.bundled()


def test_no_forbidden_phrases_or_method_words(copy: CrisisCopy) -> None:
    for text in copy.all_strings():
        lowered = text.lower()
        assert not any(p in lowered for p in FORBIDDEN_PHRASES), text[:60]
        assert not METHOD_WORDS.search(text), text[:60]
        # No promise of secrecy: moderators are told.
        assert "no one else" not in lowered
        assert "nobody else" not in lowered


@pytest.mark.parametrize("severity", [1, 2, 3])
def test_dm_is_short_names_local_help_and_offers_a_person(copy: CrisisCopy, severity: int) -> None:
    choice = load_directory().choose("GB")
    text = copy.dm(severity, name="Sam", place="#general", choice=choice, pseudonymous=False)
    assert "Samaritans" in text
    assert "116 123" in text
    assert "Talk to a moderator" in text
    assert len(text) < 1000
    assert ("999" in text) == (severity == 3)  # the emergency number only when imminent
    assert "{" not in text


def test_dm_for_a_country_without_an_emergency_number(copy: CrisisCopy) -> None:
    india = load_directory().choose("IN")
    assert india.emergency == "112"
    choice = dataclasses.replace(india, emergency=None)
    text = copy.dm(3, name="A", place="x", choice=choice, pseudonymous=True)
    assert "your local emergency number" in text
    assert "14416" in text
    assert "shares your name" in text


def test_severity_3_dm_names_the_local_emergency_number(copy: CrisisCopy) -> None:
    text = copy.dm(3, name="A", place="x", choice=load_directory().choose("IN"), pseudonymous=False)
    assert "call 112" in text


def test_other_renderings_fill_every_placeholder(copy: CrisisCopy) -> None:
    choice = load_directory().choose("US")
    for text in (
        copy.concern(choice),
        copy.concern(choice, reporter=True),
        copy.dm_closed_notice(choice),
        copy.talk_confirm(choice),
        copy.talk_confirm(choice, already=True),
        copy.direct(name="Sam", choice=choice),
        copy.directory(choice, "US"),
        copy.directory(load_directory().choose("JP"), "JP"),
    ):
        assert "{" not in text
        assert "}" not in text
    assert "988" in copy.concern(choice)
    assert "911" in copy.dm_closed_notice(choice)
    assert "findahelpline.com" in copy.directory(load_directory().choose("JP"), "JP")


def test_missing_keys_are_reported() -> None:
    with pytest.raises(CopyError, match="dm"):
        validate_copy({"talk": {}})
