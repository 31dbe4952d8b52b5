"""The sanitiser: nothing in a vent pings, invites, hides a link or shouts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.venting.sanitize import INVITE_REMOVED, ZWSP, sanitise, sanitise_topic


def test_everyone_and_here_are_broken() -> None:
    out = sanitise("hey @everyone and @here and @EVERYONE")
    assert "@everyone" not in out.lower()
    assert "@here" not in out
    assert f"@{ZWSP}everyone" in out
    assert f"@{ZWSP}here" in out


def test_user_and_role_mentions_are_removed_not_just_silenced() -> None:
    out = sanitise("it was <@123456789012345678> and <@!98765> with <@&555>")
    assert "<@" not in out
    assert "123456789012345678" not in out
    assert "555" not in out
    assert "@someone" in out
    assert "@role" in out


def test_invite_links_in_every_shape_are_removed() -> None:
    for link in (
        "discord.gg/abc123",
        "https://discord.gg/abc123",
        "http://www.discord.com/invite/abc-123",
        "https://discordapp.com/invite/xyz",
        "discord.gg / spaced",
        "HTTPS://DISCORD.GG/LOUD",
    ):
        out = sanitise(f"join {link} now")
        assert INVITE_REMOVED in out, link
        assert "discord.gg/" not in out.lower().replace(" ", "")


def test_masked_links_show_their_real_target() -> None:
    out = sanitise("see [https://good.example](https://evil.example/x) ok")
    assert out == "see https://good.example (https://evil.example/x) ok"
    assert sanitise("[](<https://a.example>)") == "https://a.example"


def test_heading_subtext_blockquote_and_spoiler_tricks_are_escaped() -> None:
    out = sanitise("# HUGE\n## big\n-# tiny\n>>> quote all\nnot || a spoiler ||")
    assert out.splitlines()[:4] == ["\\# HUGE", "\\## big", "\\-# tiny", "\\>>> quote all"]
    assert "||" not in out.replace("\\|", "")


def test_ordinary_writing_is_kept_as_written() -> None:
    text = "I'm so tired.\n\nWork is *a lot* and I miss home. #3 on my list: sleep. C# is hard"
    assert sanitise(text) == text


def test_topic_is_one_line_without_markdown() -> None:
    assert (
        sanitise_topic("  **family**\n stuff @everyone ")
        == f"\\*\\*family\\*\\* stuff @{ZWSP}everyone"
    )
    assert len(sanitise_topic("x" * 500)) == 100


@given(st.text(max_size=300))
def test_no_text_survives_with_a_live_mention_or_invite(text: str) -> None:
    for candidate in (text, f"@everyone {text} discord.gg/x", f"<@1>{text}@here"):
        out = sanitise(candidate)
        assert "@everyone" not in out.lower()
        assert "@here" not in out.lower()
        assert "discord.gg/x" not in out.lower()
        assert "<@1>" not in out
