"""suggest_for_mood (used by check-ins) and the tip-of-the-day choice."""

from __future__ import annotations

import random

import pytest

from bot.tips.loader import Library
from bot.tips.selection import choose_daily, suggest_for_mood
from bot.tips.service import TipsService


def _suggest(library: Library, mood: int, tags: list[str], exclude=(), seed: int = 1):
    return suggest_for_mood(
        library.tips,
        mood,
        tags,
        exclude,
        mood_tags=library.synonyms.mood_tags,
        rng=random.Random(seed),
    )


@pytest.mark.parametrize(
    ("tags", "categories"),
    [
        (["anxious"], {"anxiety", "panic", "grounding"}),
        (["tired"], {"sleep"}),
        (["lonely"], {"loneliness"}),
        (["Stressed "], {"stress"}),
    ],
)
def test_feeling_tags_choose_the_category(library: Library, tags, categories) -> None:
    for seed in range(10):
        assert _suggest(library, 2, tags, seed=seed).category in categories


def test_first_named_feeling_wins(library: Library) -> None:
    for seed in range(10):
        assert _suggest(library, 2, ["lonely", "tired"], seed=seed).category == "loneliness"


def test_lowest_mood_without_tags_gets_a_short_gentle_tip(library: Library) -> None:
    for seed in range(20):
        tip = _suggest(library, 1, [], seed=seed)
        assert tip.category in {"low-mood", "grounding", "getting-help"}
        assert tip.duration_minutes <= 10


def test_self_harm_and_grief_tips_are_never_offered_unprompted(library: Library) -> None:
    for mood in range(1, 6):
        for seed in range(30):
            tip = _suggest(library, mood, ["unknown-tag"], seed=seed)
            assert tip.category not in {"self-harm-urges", "grief"}


def test_grieving_tag_does_reach_grief(library: Library) -> None:
    assert _suggest(library, 1, ["grieving"]).category == "grief"


def test_excluded_ids_are_skipped_until_nothing_is_left(library: Library) -> None:
    sleep_ids = {t.id for t in library.in_category("sleep")}
    seen = set()
    for _ in range(len(sleep_ids)):
        tip = _suggest(library, 3, ["tired"], exclude=seen)
        assert tip.id not in seen
        seen.add(tip.id)
    assert seen == sleep_ids
    # everything excluded: still returns a tip rather than failing
    assert _suggest(library, 3, ["tired"], exclude={t.id for t in library.tips})


def test_mood_out_of_range_is_an_error(library: Library) -> None:
    with pytest.raises(ValueError, match="1-5"):
        _suggest(library, 0, [])


def test_service_exposes_suggest_for_mood(service: TipsService) -> None:
    tip = service.suggest_for_mood(2, ["anxious"], exclude_ids=set(), rng=random.Random(3))
    assert tip.category in {"anxiety", "panic", "grounding"}
    assert tip.origin == "library"


def test_choose_daily_avoids_recent_and_falls_back_to_least_recent(library: Library) -> None:
    tips = list(library.in_category("sleep"))
    recent = [t.id for t in tips[:-1]]  # all but the last shown lately
    assert choose_daily(tips, recent, random.Random(0)).id == tips[-1].id
    everything = [t.id for t in reversed(tips)]  # most recent first: tips[-1] … tips[0]
    assert choose_daily(tips, everything, random.Random(0)).id == tips[0].id
