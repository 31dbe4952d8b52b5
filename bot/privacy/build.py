"""Build the ``PrivacyService`` with every feature's providers, in the order deletion needs."""

from __future__ import annotations

import aiosqlite

from bot.keys import KeyRing
from bot.moderation import ModerationRepository
from bot.privacy.adapters.actors import ModeratorActionsProvider
from bot.privacy.adapters.checkins import (
    CheckinPromptsProvider,
    CheckinScheduleProvider,
    MoodLogProvider,
)
from bot.privacy.adapters.escalation import (
    ConcernReportsProvider,
    EscalationsProvider,
    HarassmentLogProvider,
)
from bot.privacy.adapters.foundation import MemberCountryProvider, PendingNoticesProvider
from bot.privacy.adapters.moderation import ModerationProvider
from bot.privacy.adapters.tips import SavedTipsProvider, ServerTipsAuthorProvider
from bot.privacy.adapters.venting import VentsProvider
from bot.privacy.service import PrivacyService


def build_privacy(db: aiosqlite.Connection, keys: KeyRing) -> PrivacyService:
    service = PrivacyService(db)
    vents = VentsProvider(db, keys)
    for provider in (
        MemberCountryProvider(db),
        PendingNoticesProvider(db),
        SavedTipsProvider(db),
        ServerTipsAuthorProvider(db),
        ModerationProvider(ModerationRepository(db)),
        # mood log and prompts before the schedule: the schedule's delete ends with the
        # check-in repository's own sweep of all three tables.
        MoodLogProvider(db),
        CheckinPromptsProvider(db),
        CheckinScheduleProvider(db),
        # escalations before vents: escalations raised from a vent are found through it.
        EscalationsProvider(db, vent_ids=vents.vent_ids),
        ConcernReportsProvider(db),
        HarassmentLogProvider(db),
        vents,
        # last: what is left of other people's records only loses this person's id.
        ModeratorActionsProvider(db),
    ):
        service.register(provider)
    return service
