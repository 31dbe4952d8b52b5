"""What moderators see in the log channel and what an actioned author is told by DM.

The excerpt lives only here, in the Discord embed for moderators: never in the process log,
never in the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import discord

from bot.moderation import Action, LogEntry, ModerationSettings, Profile
from bot.moderation.policy import HARASSMENT_LABEL

EXCERPT_CHARS = 200
SCORES_SHOWN = 4

COLOURS = {
    Action.LOG: discord.Colour.orange(),
    Action.HIDE: discord.Colour.red(),
    Action.TIMEOUT: discord.Colour.dark_red(),
}
RESOLVED_COLOUR = discord.Colour.dark_grey()
TITLES = {
    Action.LOG: "Flagged message (logged)",
    Action.HIDE: "Flagged message (removed)",
    Action.TIMEOUT: "Flagged message (removed, member timed out)",
}
# How the author is told what the model saw, in plain words (no scores, no shaming).
PLAIN_WORDS = {
    "toxicity": "hostile",
    "severe_toxicity": "very hostile",
    "obscene": "obscene",
    "threat": "threatening",
    "insult": "insulting",
    "identity_attack": "an attack on someone's identity",
    "sexual_explicit": "sexually explicit",
    HARASSMENT_LABEL: "telling someone to harm themselves",
}
VERDICT_WORDS = {
    "deleted": "Deleted",
    "timed_out": "Timed out",
    "dismissed": "Dismissed",
}


@dataclass
class ActionReport:
    """What the automatic actions actually did, for the log embed."""

    deleted: bool = False
    timed_out_minutes: int | None = None
    dm: str | None = None  # "sent" | "closed" | "failed"
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.deleted:
            out.append("Message deleted.")
        if self.timed_out_minutes is not None:
            out.append(f"Member timed out for {duration(self.timed_out_minutes)}.")
        if self.dm == "sent":
            out.append("Author told privately by DM, with how to appeal.")
        elif self.dm == "closed":
            out.append("Author's DMs are closed: they were not told.")
        elif self.dm == "failed":
            out.append("The DM to the author failed.")
        out.extend(self.problems)
        return out


def duration(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return discord.utils.escape_markdown(flat)


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def describe_label(label: str, score: float, thresholds: Mapping[str, float]) -> str:
    if label == HARASSMENT_LABEL:
        return "harassment: a death wish aimed at someone (crisis detector)"
    limit = thresholds.get(label)
    over = f" (threshold {limit:.2f})" if limit is not None else ""
    return f"{label.replace('_', ' ')} {score:.2f}{over}"


def log_embed(
    entry: LogEntry,
    settings: ModerationSettings,
    *,
    text: str | None,
    report: ActionReport | None = None,
    recovered: bool = False,
) -> discord.Embed:
    """The moderation log embed for one entry (``text`` None: the message is unavailable)."""
    thresholds = settings.thresholds(entry.profile)
    embed = discord.Embed(
        title=TITLES.get(entry.action, "Flagged message"),
        colour=COLOURS.get(entry.action, discord.Colour.orange()),
        description=f">>> {excerpt(text)}" if text else "*(message text not available)*",
        timestamp=entry.created_at,
    )
    embed.add_field(name="Author", value=f"<@{entry.user_id}> (`{entry.user_id}`)", inline=True)
    link = jump_url(entry.guild_id, entry.channel_id, entry.message_id)
    embed.add_field(name="Where", value=f"<#{entry.channel_id}> · [jump]({link})", inline=True)
    over = [
        describe_label(label, entry.scores.get(label, 1.0), thresholds) for label in entry.labels
    ]
    embed.add_field(name="Over threshold", value="\n".join(over) or "-", inline=False)
    others = sorted(
        ((label, score) for label, score in entry.scores.items() if label not in entry.labels),
        key=lambda pair: pair[1],
        reverse=True,
    )[:SCORES_SHOWN]
    if others:
        embed.add_field(
            name="Other scores",
            value=" · ".join(f"{label.replace('_', ' ')} {score:.2f}" for label, score in others),
            inline=False,
        )
    strikes = (
        f"{entry.strikes} in the last {duration(settings.strike_window_minutes)} "
        f"(timeout at {settings.strike_limit} when timeouts are on)"
    )
    if entry.profile is Profile.STRICT:
        strikes += "\nStricter vent profile: posted in a vent thread or in reply to a vent."
    embed.add_field(name="Strikes", value=strikes, inline=False)
    done = report.lines() if report is not None else []
    if recovered:
        done.insert(
            0,
            "Posted after a restart: the automatic action may not have completed, "
            "please check the message.",
        )
    if done:
        embed.add_field(name="Done automatically", value="\n".join(done), inline=False)
    embed.set_footer(text=f"Haven moderation log #{entry.id}")
    return embed


def resolved_embed(
    original: discord.Embed | None,
    entry: LogEntry,
    verdict: str,
    moderator_id: int,
    when: datetime,
    detail: str = "",
) -> discord.Embed:
    """The log embed after a moderator pressed a button: who did what, and when."""
    embed = original.copy() if original is not None else discord.Embed(title="Flagged message")
    embed.colour = RESOLVED_COLOUR
    stamp = int(when.timestamp())
    text = f"{VERDICT_WORDS.get(verdict, verdict)} by <@{moderator_id}> <t:{stamp}:f>."
    if detail:
        text += f"\n{detail}"
    embed.add_field(name="Handled", value=text, inline=False)
    embed.set_footer(text=f"Haven moderation log #{entry.id} · {verdict.replace('_', ' ')}")
    return embed


def plain_reason(labels: tuple[str, ...] | list[str]) -> str:
    words = [PLAIN_WORDS.get(label, label.replace("_", " ")) for label in labels]
    words = list(dict.fromkeys(words))
    if not words:
        return "harmful to others"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def author_dm(
    guild_name: str,
    labels: tuple[str, ...] | list[str],
    *,
    timeout_minutes: int | None = None,
    by_moderator: bool = False,
) -> str:
    """The private note to someone whose message was removed: why, and how to appeal."""
    who = "by a moderator" if by_moderator else "automatically"
    text = (
        f"Hi. A message you posted in **{guild_name}** was removed {who} because it read as "
        f"{plain_reason(labels)}. People come to this server when they are struggling, so "
        "we keep replies gentle."
    )
    if timeout_minutes is not None:
        text += (
            f"\nBecause this has happened a few times recently, you can't post there for "
            f"{duration(timeout_minutes)}."
        )
    if not by_moderator:
        text += "\nAutomatic checks get things wrong sometimes."
    text += (
        " If you think this was a mistake, message one of the server's moderators: they can "
        "see what happened and put it right."
    )
    return text
