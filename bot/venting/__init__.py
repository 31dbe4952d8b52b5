"""Anonymous venting: pseudonyms, sealed authors, bans without unmasking, vetting (no discord)."""

from bot.venting.options import VentingOptions
from bot.venting.pseudonyms import poster_key, pseudonym
from bot.venting.repository import VentRecord
from bot.venting.sanitize import sanitise, sanitise_topic
from bot.venting.service import (
    CrisisInfo,
    UnmaskStep,
    VentingService,
    VentRefused,
    VentSubmission,
    crisis_of,
)

__all__ = [
    "CrisisInfo",
    "UnmaskStep",
    "VentRecord",
    "VentRefused",
    "VentSubmission",
    "VentingOptions",
    "VentingService",
    "crisis_of",
    "poster_key",
    "pseudonym",
    "sanitise",
    "sanitise_topic",
]
