"""Choosing a tip: after a check-in (by mood and feeling tags) and for tip of the day."""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence

from bot.tips.models import Tip

MOOD_LEVELS = range(1, 6)  # 1 = lowest, as in the check-in buttons
DAILY_NO_REPEAT_DAYS = 30

# Never offered unprompted after a check-in: urges to self-harm are for people who look
# for them (search/browse); grief only when the person said they are grieving.
UNPROMPTED_EXCLUDED = frozenset({"self-harm-urges", "grief"})

# Where to look when the check-in carried no feeling tags we know.
DEFAULT_CATEGORIES: Mapping[int, tuple[str, ...]] = {
    1: ("low-mood", "grounding", "getting-help"),
    2: ("low-mood", "grounding", "stress"),
    3: ("stress", "sleep", "self-esteem"),
    4: ("self-esteem", "loneliness", "stress"),
    5: ("self-esteem", "loneliness", "stress"),
}
SHORT_MINUTES = 10  # low moods get tips that fit into a hard moment


def wanted_categories(
    mood_level: int, tags: Iterable[str], mood_tags: Mapping[str, Sequence[str]]
) -> list[str]:
    wanted: list[str] = []
    for tag in tags:
        for category in mood_tags.get(tag.strip().lower(), ()):
            if category not in wanted:
                wanted.append(category)
    return wanted or list(DEFAULT_CATEGORIES[mood_level])


def suggest_for_mood(
    tips: Sequence[Tip],
    mood_level: int,
    tags: Iterable[str],
    exclude_ids: Collection[str] = (),
    *,
    mood_tags: Mapping[str, Sequence[str]],
    rng: random.Random | None = None,
) -> Tip:
    """One tip for someone who just checked in at ``mood_level`` (1-5) with feeling ``tags``.

    Prefers the categories the tags point to (else defaults for the mood), short tips for
    low moods, tips whose own tags echo the feeling tags, and anything not in
    ``exclude_ids`` (recently shown). Falls back rather than failing: always returns a tip.
    """
    if mood_level not in MOOD_LEVELS:
        raise ValueError(f"mood_level must be 1-5, got {mood_level}")
    if not tips:
        raise ValueError("no tips to choose from")
    rng = rng or random.Random()
    tag_list = [t.strip().lower() for t in tags if t.strip()]
    wanted = wanted_categories(mood_level, tag_list, mood_tags)
    allowed = [t for t in tips if t.category in wanted or t.category not in UNPROMPTED_EXCLUDED]
    fresh = [t for t in allowed if t.id not in exclude_ids] or allowed or list(tips)

    def score(tip: Tip) -> float:
        value = 0.0
        if tip.category in wanted:
            value += 10 - wanted.index(tip.category)  # first-named feeling first
        if mood_level <= 2 and tip.duration_minutes <= SHORT_MINUTES:
            value += 2
        value += sum(1 for tag in tag_list if any(tag in own for own in tip.tags))
        return value

    best = max(score(t) for t in fresh)
    top = [t for t in fresh if score(t) == best]
    return rng.choice(top)


def choose_daily(tips: Sequence[Tip], recent_ids: Sequence[str], rng: random.Random) -> Tip:
    """Tip of the day: anything not shown in the window; if all were, the least recent.

    ``recent_ids`` is the guild's history within the window, most recent first.
    """
    if not tips:
        raise ValueError("no tips to choose from")
    shown = set(recent_ids)
    fresh = [t for t in tips if t.id not in shown]
    if fresh:
        return rng.choice(fresh)
    position = {tip_id: i for i, tip_id in reversed(list(enumerate(recent_ids)))}
    return max(tips, key=lambda t: position.get(t.id, len(recent_ids)))
