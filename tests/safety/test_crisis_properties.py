"""Property tests: no input makes the detector raise, and work is bounded by the cap."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.safety.crisis import Assessment, Category, assess
from bot.safety.normalise import HEAD_CHARS, TAIL_CHARS, normalise

RTL = st.text(alphabet=st.characters(min_codepoint=0x0590, max_codepoint=0x06FF), max_size=200)
EMOJI = st.text(alphabet=st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), max_size=100)
BINARYISH = st.binary(max_size=500).map(lambda b: b.decode("latin-1"))
WORDS = st.lists(
    st.sampled_from(
        [
            "i",
            "want",
            "to",
            "die",
            "kill",
            "myself",
            "kms",
            "lol",
            "not",
            "tonight",
            "my",
            "friend",
            "💊",
            "k",
            "y",
            "s",
            ".",
            "\u200b",
            "ｋ",
            "never",
            "pills",
            "20",
            "took",
        ]
    ),
    max_size=60,
).map(" ".join)


def _check(result: Assessment) -> None:
    assert isinstance(result.category, Category)
    assert 0 <= result.severity <= 3
    assert 0 <= result.urgency <= 3
    if result.category is not Category.SELF_RISK:
        assert result.severity == 0
    assert all(isinstance(r, str) for r in result.reasons)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=300), RTL, EMOJI, BINARYISH, WORDS))
def test_never_raises(text: str) -> None:
    _check(assess(text))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=20), st.integers(min_value=50_000, max_value=100_000))
def test_100kb_inputs(chunk: str, size: int) -> None:
    text = (chunk * (size // len(chunk) + 1))[:size]
    _check(assess(text))


def test_work_is_bounded_by_the_cap() -> None:
    # Linear time without a clock: the analysed text never exceeds the cap, so a 100 KB
    # message does the same work as a 10 KB one.
    base = "i took 20 pills lol jk im fine. "
    ten = normalise(base * 320)
    hundred = normalise(base * 3_200)
    limit = HEAD_CHARS + TAIL_CHARS + 10
    assert len(ten) <= limit
    assert len(hundred) <= limit


def test_crisis_at_the_end_of_a_wall_of_text_is_seen() -> None:
    text = "blah " * 20_000 + "i took 30 pills"
    assert assess(text).severity == 3


def test_empty_and_whitespace() -> None:
    assert assess("").category is Category.NONE
    assert assess("   \n\t ").category is Category.NONE
    assert assess("💀💀💀").category is Category.NONE
