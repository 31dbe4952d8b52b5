"""Make vent text safe to repost under the bot's name: nothing pings, invites or hides links.

``allowed_mentions=none`` already stops pings; this also removes the *look* of them (an
anonymous post naming a member is a harassment tool), invite links, masked links that
hide their target, heading/subtext markdown that shouts over the channel, and spoiler
bars that would break out of a content-warning spoiler.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
INVITE_REMOVED = "[invite link removed]"

_EVERYONE = re.compile(r"@(everyone|here)", re.IGNORECASE)
_USER_MENTION = re.compile(r"<@!?\d+>")
_ROLE_MENTION = re.compile(r"<@&\d+>")
_INVITE = re.compile(
    r"(?:https?://)?(?:www\.)?(?:"
    r"discord(?:app)?\.com/invite|discord\.gg|discord\.me|discord\.io|dsc\.gg|invite\.gg"
    r")\s*/\s*[\w-]+",
    re.IGNORECASE,
)
# [label](target) or [label](<target>), optionally with a "title".
_MASKED_LINK = re.compile(r"\[([^\[\]]*)\]\(\s*<?([^()\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(\s*)(#{1,6}|-#)(?=\s)", re.MULTILINE)
_BLOCKQUOTE_ALL = re.compile(r"^(\s*)>>>", re.MULTILINE)
_SPOILER = re.compile(r"\|\|")
_MANY_BLANK_LINES = re.compile(r"\n{4,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sanitise(text: str) -> str:
    """Neutralise mentions, invites and markdown tricks; keep everything else as written."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVITE.sub(INVITE_REMOVED, text)
    text = _MASKED_LINK.sub(_unmask_link, text)
    text = _EVERYONE.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)
    text = _ROLE_MENTION.sub("@role", text)
    text = _USER_MENTION.sub("@someone", text)
    text = _HEADING.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)
    text = _BLOCKQUOTE_ALL.sub(lambda m: f"{m.group(1)}\\>>>", text)
    text = _SPOILER.sub(r"\|\|", text)
    text = _MANY_BLANK_LINES.sub("\n\n\n", text)
    return text.strip()


def _unmask_link(match: re.Match[str]) -> str:
    label, target = match.group(1).strip(), match.group(2)
    # Show where a link really goes; a label that *looks* like another URL is the trick.
    return f"{label} ({target})" if label else target


def sanitise_topic(topic: str, limit: int = 100) -> str:
    """A content-warning label: one line, no markdown at all."""
    one_line = " ".join(sanitise(topic).split())
    plain = re.sub(r"([*_~`|>#\[\]()\\])", r"\\\1", one_line.replace("\\", ""))
    return plain[:limit].strip()
