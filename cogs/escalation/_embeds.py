"""The moderator alert embed: severity (colour and words), who, where, excerpt, reasons,
what reached the person, current state and the history of who did what and when."""

from __future__ import annotations

import datetime as dt

import discord

from bot.escalation.models import (
    AuditEntry,
    Category,
    Delivery,
    DeliveryStatus,
    Escalation,
    State,
    Step,
)

SEVERITY_STYLE: dict[int, tuple[str, int]] = {
    1: ("🟡 Concern", 0xFBC02D),
    2: ("🟠 Urgent", 0xF57C00),
    3: ("🔴 Imminent risk", 0xD32F2F),
}
CONCERN_STYLE = ("🔵 Worried about someone else", 0x1976D2)
CLOSED_COLOUR = {State.RESOLVED: 0x388E3C, State.FALSE_ALARM: 0x607D8B}

DM_CLOSED_WORDS = "⚠️ **Could not reach them by DM** (DMs closed or the bot is blocked)."


def jump_url(escalation: Escalation) -> str | None:
    if escalation.channel_id is None or escalation.message_id is None:
        return None
    return (
        f"https://discord.com/channels/{escalation.guild_id}/"
        f"{escalation.channel_id}/{escalation.message_id}"
    )


def subject(escalation: Escalation) -> str:
    """Who this is about: the pseudonym for vents, never the person behind it."""
    if escalation.pseudonym is not None:
        return f"**{discord.utils.escape_markdown(escalation.pseudonym)}** (anonymous vent)"
    if escalation.user_id is not None:
        return f"<@{escalation.user_id}>"
    return "unknown"


def severity_label(escalation: Escalation) -> str:
    if escalation.category is Category.CONCERN_FOR_OTHER:
        return CONCERN_STYLE[0]
    return SEVERITY_STYLE.get(escalation.severity, SEVERITY_STYLE[3])[0]


def colour(escalation: Escalation) -> int:
    if escalation.state in CLOSED_COLOUR:
        return CLOSED_COLOUR[escalation.state]
    if escalation.category is Category.CONCERN_FOR_OTHER:
        return CONCERN_STYLE[1]
    return SEVERITY_STYLE.get(escalation.severity, SEVERITY_STYLE[3])[1]


def dm_line(escalation: Escalation, deliveries: list[Delivery]) -> str:
    if not escalation.dm_wanted:
        return "Not contacted automatically (a member's report): decide whether to reach out."
    dms = [d for d in deliveries if d.step is Step.DM]
    if not dms:
        return "Sending resources by DM…"
    last = dms[-1]
    if last.status is DeliveryStatus.SENT:
        if escalation.category is Category.CONCERN_FOR_OTHER:
            return "How-to-help guidance and helplines sent to the writer by DM."
        return "✅ Helplines sent to them by DM."
    if last.detail == "dm_closed":
        return (
            f"{DM_CLOSED_WORDS} They'll see the resources privately the next time they use "
            "a Haven command; consider reaching out another way."
        )
    return "⚠️ **Could not reach them by DM**; consider reaching out another way."


def state_line(escalation: Escalation) -> str:
    def who(user_id: int | None, at: int | None) -> str:
        return f"<@{user_id}> <t:{at}:R>" if user_id and at else "a moderator"

    state = escalation.state
    if state is State.OPEN:
        return "**Open** — waiting for a moderator"
    if state is State.ACKNOWLEDGED:
        return f"**Acknowledged** by {who(escalation.acknowledged_by, escalation.acknowledged_at)}"
    if state is State.CLAIMED:
        return (
            f"**Claimed** by {who(escalation.claimed_by, escalation.claimed_at)} "
            "— they're reaching out"
        )
    if state is State.RESOLVED:
        return f"**Resolved** by {who(escalation.closed_by, escalation.closed_at)}"
    return f"**False alarm**, marked by {who(escalation.closed_by, escalation.closed_at)}"


_ACTION_WORDS = {
    "acknowledge": "acknowledged",
    "claim": "claimed",
    "resolve": "resolved",
    "false_alarm": "marked a false alarm",
}


def history_lines(audit: list[AuditEntry], limit: int = 6) -> list[str]:
    lines = [
        f"<t:{a.at}:t> <@{a.actor_id}> {_ACTION_WORDS.get(a.action, a.action)}"
        + (f": {discord.utils.escape_markdown(a.note)[:200]}" if a.note else "")
        for a in audit
        if a.actor_id is not None
    ]
    return lines[-limit:]


def alert_embed(
    escalation: Escalation,
    deliveries: list[Delivery],
    audit: list[AuditEntry],
) -> discord.Embed:
    title = f"{severity_label(escalation)} · escalation #{escalation.id}"
    embed = discord.Embed(title=title, colour=colour(escalation))
    where = f"<#{escalation.channel_id}>" if escalation.channel_id else escalation.source
    link = jump_url(escalation)
    if link:
        where += f" · [jump to message]({link})"
    lines = [
        f"**Who:** {subject(escalation)}",
        f"**Where:** {where}",
        f"**When:** <t:{escalation.created_at}:f> (<t:{escalation.created_at}:R>)",
    ]
    if escalation.reporter_id is not None:
        lines.append(f"**Reported by:** <@{escalation.reporter_id}>")
    if escalation.message_count > 1:
        lines.append(
            f"**Messages:** {escalation.message_count} (latest <t:{escalation.last_seen_at}:R>)"
        )
    if escalation.excerpt:
        quoted = discord.utils.escape_markdown(escalation.excerpt)
        lines.append(f"**Excerpt:**\n> {quoted}")
    embed.description = "\n".join(lines)[:4000]
    reasons = ", ".join(f"`{r}`" for r in escalation.reasons[:12]) or "—"
    embed.add_field(name="Why", value=reasons[:1024], inline=False)
    embed.add_field(
        name="Reaching them", value=dm_line(escalation, deliveries)[:1024], inline=False
    )
    if any(d.step is Step.PAGE for d in deliveries):
        embed.add_field(
            name="They asked for a person",
            value="🙋 They pressed **Talk to a moderator**.",
            inline=False,
        )
    embed.add_field(name="State", value=state_line(escalation), inline=False)
    history = history_lines(audit)
    if history:
        embed.add_field(name="History", value="\n".join(history)[:1024], inline=False)
    if escalation.close_note and escalation.state.terminal:
        embed.add_field(
            name="Note", value=discord.utils.escape_markdown(escalation.close_note)[:1024]
        )
    embed.timestamp = dt.datetime.fromtimestamp(escalation.created_at, tz=dt.UTC)
    embed.set_footer(text=f"Haven · {escalation.source} · escalation #{escalation.id}")
    return embed
