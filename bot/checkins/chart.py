"""The /mood history chart: a small PNG of mood over time with feeling tags.

matplotlib is imported lazily (it costs ~0.3 s and ~30 MB) and only its object-oriented
API with the Agg canvas is used: no pyplot global state, so rendering is safe in a
worker thread (the cog calls this via ``asyncio.to_thread``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.checkins.repository import MoodEntry
from bot.checkins.service import FEELING_TAGS, MOODS


def render_mood_chart(entries: Sequence[MoodEntry], *, tz: str = "UTC", days: int = 30) -> bytes:
    """PNG bytes of mood (1-5) over time; each point labelled with its tags."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    zone = ZoneInfo(tz)
    figure = Figure(figsize=(8, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    times: list[datetime] = [e.created_utc.astimezone(zone).replace(tzinfo=None) for e in entries]
    values = [e.mood for e in entries]
    if entries:
        axes.plot(times, values, color="#7a9cc6", linewidth=1.5, zorder=1)
        axes.scatter(times, values, c=values, cmap="RdYlGn", vmin=1, vmax=5, s=40, zorder=2)
        for when, value, entry in zip(times, values, entries, strict=True):
            if entry.tags:
                label = ", ".join(FEELING_TAGS.get(t, t).lower() for t in entry.tags[:3])
                axes.annotate(
                    label,
                    (when, value),
                    textcoords="offset points",
                    xytext=(0, 8),
                    ha="center",
                    fontsize=7,
                    color="#555555",
                )
    else:
        axes.text(0.5, 0.5, "No check-ins yet", ha="center", va="center", transform=axes.transAxes)
    axes.set_ylim(0.5, 5.7)
    axes.set_yticks([m.value for m in MOODS], [m.label for m in MOODS], fontsize=8)
    axes.set_title(f"Your mood, last {days} days", fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    axes.tick_params(axis="x", labelsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
