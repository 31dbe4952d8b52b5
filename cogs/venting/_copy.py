"""Venting copy (resources/venting/messages.toml) and the embeds vents are shown in."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

import discord

from bot.safety.helplines import load_directory

VENT_COLOUR = discord.Colour(0x6C8EBF)
QUEUE_COLOUR = discord.Colour(0xE0B050)
ALERT_COLOUR = discord.Colour(0xD9534F)
RELAY_COLOUR = discord.Colour(0x5CB85C)
EMBED_MAX = 4_096


@cache
def messages() -> dict[str, Any]:
    text = (resources.files("resources") / "venting" / "messages.toml").read_text("utf-8")
    return tomllib.loads(text)


def author_text(key: str, **values: Any) -> str:
    return str(messages()["author"][key]).format(**values)


def signature(pseudonym: str) -> str:
    return f"Anon · {pseudonym}"


def helpline_values(country: str | None) -> dict[str, str]:
    """{helplines} and {emergency} for the copy: one or two verified entries (safe messaging)."""
    choice = load_directory().choose(country)
    lines = "\n".join(f"- {h.contact_line()}" for h in choice.for_dm(2))
    return {"helplines": lines, "emergency": choice.emergency or "your local emergency number"}


def _fit(text: str, room: int) -> str:
    return text if len(text) <= room else text[: room - 1] + "…"


def vent_embed(
    pseudonym: str, text: str, topic: str | None, content_warning: bool
) -> discord.Embed:
    """The public post: the words, a content warning behind a spoiler when needed, the name."""
    if content_warning:
        label = topic or "heavy topics (self-harm, suicide)"
        embed = discord.Embed(
            title=_fit(f"Content warning: {label}", 256),
            description=f"||{_fit(text, EMBED_MAX - 4)}||",
            colour=VENT_COLOUR,
        )
    else:
        embed = discord.Embed(description=_fit(text, EMBED_MAX), colour=VENT_COLOUR)
    embed.set_footer(text=f"{signature(pseudonym)} · reply in the thread below")
    return embed


def queue_embed(
    vent_id: int, pseudonym: str, text: str, topic: str | None, crisis_severity: int
) -> discord.Embed:
    embed = discord.Embed(
        title=f"Vent waiting for approval · {signature(pseudonym)}",
        description=_fit(text, EMBED_MAX),
        colour=QUEUE_COLOUR,
    )
    if topic:
        embed.add_field(name="Content warning", value=topic, inline=False)
    if crisis_severity:
        embed.add_field(
            name="Assessed as self-risk",
            value=f"Severity {crisis_severity}. The author has been sent support privately.",
            inline=False,
        )
    embed.set_footer(text=f"vent #{vent_id} · the author is anonymous to everyone")
    return embed


def crisis_alert_embed(
    vent_id: int,
    pseudonym: str,
    severity: int,
    reasons: tuple[str, ...],
    where: str,
    dm_delivered: bool,
) -> discord.Embed:
    told = (
        "They have been sent helplines by DM."
        if dm_delivered
        else "Their DMs are closed; they were shown helplines privately instead."
    )
    embed = discord.Embed(
        title=f"A vent needs care · {signature(pseudonym)}",
        description=(
            f"An anonymous vent reads as self-risk (severity {severity}). {told}\n"
            "Press **Reach out** to write to the author through Haven: they stay anonymous, "
            "and their answers come back here."
        ),
        colour=ALERT_COLOUR,
    )
    embed.add_field(name="Vent", value=where, inline=False)
    if reasons:
        embed.add_field(name="Why", value=_fit(", ".join(reasons), 1_024), inline=False)
    embed.set_footer(text=f"vent #{vent_id}")
    return embed


def author_reply_embed(vent_id: int, pseudonym: str, text: str) -> discord.Embed:
    embed = discord.Embed(
        title=f"Reply from {signature(pseudonym)}",
        description=_fit(text, EMBED_MAX),
        colour=RELAY_COLOUR,
    )
    embed.set_footer(text=f"vent #{vent_id} · relayed by Haven; the author stays anonymous")
    return embed


def moderator_message_embed(text: str) -> discord.Embed:
    """A moderator's words as the author sees them in the DM (the intro is the content)."""
    embed = discord.Embed(description=_fit(text, EMBED_MAX), colour=RELAY_COLOUR)
    embed.set_footer(text=_fit(author_text("relay_footer"), 2_048))
    return embed
