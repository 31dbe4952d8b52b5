"""The cross-feature hook raised when a vent reads as self-risk (no discord here).

The venting cog dispatches it *after* it has DMed the author helplines, posted (or held)
the vent and posted its own pseudonymous moderator alert with the relay buttons:

    bot.dispatch("haven_vent_crisis", VentCrisisEvent(...))
    # listeners: async def on_haven_vent_crisis(self, event: VentCrisisEvent) -> None

It carries no user id and no vent text, on purpose: whoever listens (escalation records,
metrics, re-pings) learns the pseudonym and the assessment, never the person. The alert
is already on screen, so a listener must not post a second one; to follow up, reply to
``alert_message_id`` in ``alert_channel_id``. The anonymous relay to the author is the
button with custom id ``relay_custom_id(vent_id)`` (handled by the venting cog).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.venting.service import CrisisInfo

EVENT_NAME = "haven_vent_crisis"


RELAY_PREFIX = "haven:vent:relay"


def relay_custom_id(vent_id: int) -> str:
    """custom_id of the "Reach out" button: any message may carry it to open the relay."""
    return f"{RELAY_PREFIX}:{vent_id}"


@dataclass(frozen=True)
class VentCrisisEvent:
    guild_id: int
    vent_id: int
    pseudonym: str
    crisis: CrisisInfo
    assessment: Any  # the detector's own Assessment object
    held: bool  # True: waiting in the vetting queue, not public
    vent_url: str | None  # the public post, when posted
    alert_channel_id: int | None
    alert_message_id: int | None  # the pseudonymous alert the venting cog posted
    author_dm_delivered: bool  # False: helplines were shown ephemerally instead
