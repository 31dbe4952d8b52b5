"""How a tip looks in Discord."""

from __future__ import annotations

import discord

from bot.tips import Category, Tip

COLOUR = discord.Colour.from_rgb(94, 156, 138)
SERVER_MARK = "🏠 *From this server*"


def tip_embed(
    tip: Tip,
    category: Category | None,
    *,
    position: int | None = None,
    total: int | None = None,
    heading: str | None = None,
) -> discord.Embed:
    lines = []
    if tip.from_server:
        lines.append(SERVER_MARK)
    lines.append(tip.body)
    if tip.steps:
        lines.append("\n".join(f"{i}. {step}" for i, step in enumerate(tip.steps, 1)))
    embed = discord.Embed(
        title=tip.title[:256], description="\n\n".join(lines)[:4096], colour=COLOUR
    )
    if heading:
        embed.set_author(name=heading[:256])
    embed.add_field(name="Takes about", value=f"{tip.duration_minutes} min", inline=True)
    if tip.evidence:
        embed.add_field(name="Why it can help", value=tip.evidence[:1024], inline=False)
    if tip.source is not None:
        embed.add_field(
            name="Source", value=f"[{tip.source.name}]({tip.source.url})"[:1024], inline=False
        )
    footer = [f"{category.emoji} {category.name}".strip() if category else tip.category]
    if position is not None and total is not None:
        footer.append(f"tip {position} of {total}")
    footer.append(tip.id)
    embed.set_footer(text=" · ".join(footer))
    return embed
