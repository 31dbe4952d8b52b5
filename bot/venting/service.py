"""Anonymous venting rules: who may post, what gets posted or held, who may see whom.

No discord here. The cog asks this service for a decision, then does the Discord calls.
The author's id only ever exists decrypted in memory, for the moment a DM or relay needs
it; the database holds it sealed (AES-GCM, bound to the guild) and as keyed hashes.
Nothing here logs vent text, topics, user ids or names.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import aiosqlite

from bot.db.guild_settings import GuildSettingsRepository
from bot.errors import NotConfiguredError, UserFacingError
from bot.keys import AUTHOR_ENCRYPTION, VENT_BODY_ENCRYPTION, DecryptionError, KeyRing
from bot.venting.cooldown import Cooldowns
from bot.venting.options import EXTRA_KEY, VentingOptions
from bot.venting.pseudonyms import poster_key, pseudonym
from bot.venting.repository import VentRecord, VentRepository
from bot.venting.sanitize import sanitise, sanitise_topic

log = logging.getLogger(__name__)

SELF_RISK = "self_risk"
TOPIC_MAX = 100
DISCORD_MODAL_MAX = 4_000  # a modal text input cannot be longer

Assess = Callable[[str], Any]


class VentRefused(UserFacingError):
    """The person may not vent right now; the message says why, kindly."""


@dataclass(frozen=True)
class CrisisInfo:
    """The part of a crisis assessment moderators may see (never the person)."""

    category: str
    severity: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class VentSubmission:
    """What the cog must do with a new vent."""

    vent_id: int
    guild_id: int
    pseudonym: str
    text: str  # sanitised: safe to post as written
    topic: str | None  # sanitised content-warning label
    held: bool  # True: to the vetting queue, not the vent channel
    content_warning: bool  # True: post behind a spoiler with a warning title
    crisis: CrisisInfo | None
    assessment: Any = None  # the detector's own result, for the crisis hook


@dataclass(frozen=True)
class UnmaskStep:
    status: Literal["requested", "needs_second", "revealed"]
    author_id: int | None = None  # only when revealed
    first_moderator_id: int | None = None


def _default_assess(text: str) -> Any:
    # Imported on use: the crisis detector is its own module and may load rules lazily.
    from bot.safety.crisis import assess

    return assess(text)


def crisis_of(assessment: Any) -> CrisisInfo | None:
    """Self-risk assessments become ``CrisisInfo``; anything else is not a vent crisis."""
    if assessment is None:
        return None
    category = getattr(assessment, "category", None)
    name = str(getattr(category, "value", category) or "").lower()
    severity = int(getattr(assessment, "severity", 0) or 0)
    if name != SELF_RISK or not (severity >= 1 or getattr(assessment, "is_crisis", False)):
        return None
    reasons = tuple(str(r) for r in (getattr(assessment, "reasons", ()) or ()))
    return CrisisInfo(category=name, severity=max(severity, 1), reasons=reasons)


class VentingService:
    def __init__(
        self,
        db: aiosqlite.Connection,
        keys: KeyRing,
        guild_settings: GuildSettingsRepository,
        *,
        max_length: int = DISCORD_MODAL_MAX,
        cooldown_seconds: float = 120,
        assess: Assess | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = VentRepository(db)
        self._keys = keys
        self._guild_settings = guild_settings
        self.max_length = min(max_length, DISCORD_MODAL_MAX)
        self.cooldowns = Cooldowns(cooldown_seconds, clock)
        self._assess = assess or _default_assess

    # identity ---------------------------------------------------------------------------

    def poster_key(self, guild_id: int, user_id: int) -> str:
        return poster_key(self._keys, guild_id, user_id)

    async def current_name(self, guild_id: int, user_id: int) -> str:
        epoch = await self.repo.epoch(guild_id, self.poster_key(guild_id, user_id))
        return pseudonym(self._keys, guild_id, user_id, epoch)

    async def new_name(self, guild_id: int, user_id: int) -> str:
        """Bump the identity epoch: future vents carry a fresh, unlinkable name.
        Blocks and cooldowns are keyed without the epoch and stay as they are."""
        epoch = await self.repo.bump_epoch(guild_id, self.poster_key(guild_id, user_id))
        return pseudonym(self._keys, guild_id, user_id, epoch)

    # options ----------------------------------------------------------------------------

    async def options(self, guild_id: int) -> VentingOptions:
        return VentingOptions.from_extra((await self._guild_settings.get(guild_id)).extra)

    async def set_options(self, guild_id: int, **changes: bool | None) -> VentingOptions:
        current = (await self.options(guild_id)).to_json()
        current.update({k: bool(v) for k, v in changes.items() if v is not None})
        if current.get("vetting"):
            settings = await self._guild_settings.get(guild_id)
            if settings.alert_channel_id is None:
                raise NotConfiguredError(
                    "The vetting queue lives in the moderators' alert channel. "
                    "Set it first with /setup alerts, then turn vetting on."
                )
        await self._guild_settings.set_extra(guild_id, EXTRA_KEY, current)
        return VentingOptions.from_extra({EXTRA_KEY: current})

    # posting ----------------------------------------------------------------------------

    async def check_can_post(self, guild_id: int, user_id: int) -> None:
        """Raise ``VentRefused`` before the person writes anything they would then lose."""
        settings = await self._guild_settings.get(guild_id)
        if settings.vent_channel_id is None:
            raise NotConfiguredError(
                "This server has no vent channel yet. A server admin can set one with "
                "/setup venting."
            )
        options = VentingOptions.from_extra(settings.extra)
        if options.vetting and settings.alert_channel_id is None:
            raise NotConfiguredError(
                "Vents here wait for a moderator, but the moderators' channel isn't set up. "
                "Please let a server admin know (/setup alerts)."
            )
        key = self.poster_key(guild_id, user_id)
        if await self.repo.is_banned(guild_id, key):
            raise VentRefused(
                "The moderators of this server have stopped anonymous posts from you. "
                "If you'd like to talk about it, you can message them directly."
            )
        wait = self.cooldowns.remaining(key)
        if wait > 0:
            raise VentRefused(
                f"You can post another vent in {max(1, round(wait))} seconds. "
                "Your last one is there, and people can reply in its thread."
            )

    async def submit(
        self, guild_id: int, user_id: int, text: str, topic: str | None = None
    ) -> VentSubmission:
        """Assess, sanitise and record a vent (committed before anything is visible)."""
        await self.check_can_post(guild_id, user_id)
        if not text.strip():
            raise VentRefused("Your vent was empty, so nothing was posted.")
        if len(text) > self.max_length:
            raise VentRefused(
                f"Vents can be up to {self.max_length} characters; yours has {len(text)}."
            )
        raw_topic = (topic or "").strip()
        # The detector sees the words as written, before any neutralising.
        assessment = self._assess(f"{raw_topic}\n{text}" if raw_topic else text)
        crisis = crisis_of(assessment)
        clean = sanitise(text)
        clean_topic = sanitise_topic(raw_topic, TOPIC_MAX) or None
        settings = await self._guild_settings.get(guild_id)
        options = VentingOptions.from_extra(settings.extra)
        has_queue = settings.alert_channel_id is not None
        held = has_queue and (options.vetting or (crisis is not None and options.hold_crisis))
        name = await self.current_name(guild_id, user_id)
        body = (
            self._keys.encrypt(
                VENT_BODY_ENCRYPTION,
                json.dumps({"text": clean, "topic": clean_topic}).encode("utf-8"),
                context=f"guild:{guild_id}",
            )
            if held
            else None
        )
        vent_id = await self.repo.insert(
            guild_id=guild_id,
            pseudonym=name,
            author_enc=self._seal_author(guild_id, user_id),
            state="held" if held else "pending",
            crisis_severity=crisis.severity if crisis else 0,
            content_warning=bool(clean_topic) or crisis is not None,
            body_enc=body,
        )
        self.cooldowns.mark(self.poster_key(guild_id, user_id))
        log.info(
            "vent %s recorded in guild %s (%s%s)",
            vent_id,
            guild_id,
            "held" if held else "to post",
            f", crisis severity {crisis.severity}" if crisis else "",
        )
        return VentSubmission(
            vent_id=vent_id,
            guild_id=guild_id,
            pseudonym=name,
            text=clean,
            topic=clean_topic,
            held=held,
            content_warning=bool(clean_topic) or crisis is not None,
            crisis=crisis,
            assessment=assessment,
        )

    async def mark_posted(
        self, vent_id: int, channel_id: int, message_id: int, thread_id: int | None
    ) -> None:
        await self.repo.mark_posted(vent_id, channel_id, message_id, thread_id)

    async def mark_failed(self, vent_id: int) -> None:
        """Posting failed: forget the cooldown so the person can simply try again."""
        before = await self.repo.transition(vent_id, ("pending", "held"), "failed", wipe_body=True)
        if before is not None:
            self.cooldowns.clear(self._poster_key_of(before))

    async def set_queue_message(self, vent_id: int, message_id: int) -> None:
        await self.repo.set_message_ids(vent_id, queue_message_id=message_id)

    async def set_alert_message(self, vent_id: int, message_id: int) -> None:
        await self.repo.set_message_ids(vent_id, alert_message_id=message_id)

    # lookups ----------------------------------------------------------------------------

    async def get(self, vent_id: int) -> VentRecord | None:
        return await self.repo.get(vent_id)

    async def by_message(self, message_id: int) -> VentRecord | None:
        """The vent behind a public post, a queue message or a crisis alert."""
        return await self.repo.by_message(message_id)

    async def by_thread(self, thread_id: int) -> VentRecord | None:
        """The vent whose reply thread this is (for stricter moderation of replies)."""
        return await self.repo.by_thread(thread_id)

    async def _require(self, vent_id: int) -> VentRecord:
        vent = await self.repo.get(vent_id)
        if vent is None:
            raise UserFacingError("I can't find that vent any more.")
        return vent

    def author_id(self, vent: VentRecord) -> int:
        """Decrypt the author, in memory, for a DM or relay. Never store or log the result."""
        return self._keys.decrypt_int(
            AUTHOR_ENCRYPTION, vent.author_enc, context=f"guild:{vent.guild_id}"
        )

    def is_author(self, vent: VentRecord, user_id: int) -> bool:
        try:
            return self.author_id(vent) == user_id
        except DecryptionError:
            log.warning("vent %s: author does not decrypt (key changed?)", vent.id)
            return False

    def held_body(self, vent: VentRecord) -> tuple[str, str | None]:
        if vent.body_enc is None:
            raise UserFacingError("The text of that vent is no longer kept.")
        data = json.loads(
            self._keys.decrypt(
                VENT_BODY_ENCRYPTION, vent.body_enc, context=f"guild:{vent.guild_id}"
            )
        )
        return str(data["text"]), data.get("topic")

    # vetting ----------------------------------------------------------------------------

    async def approve(self, vent_id: int, moderator_id: int) -> tuple[VentRecord, str, str | None]:
        """Claim a held vent for posting; returns it with its text. The cog then posts it and
        calls ``mark_posted`` (which wipes the kept text)."""
        vent = await self._require(vent_id)
        text, topic = self.held_body(vent) if vent.state == "held" else ("", None)
        before = await self.repo.transition(vent_id, ("held",), "pending", decided_by=moderator_id)
        if before is None:
            raise UserFacingError(f"That vent was already {vent.state}.")
        await self.repo.audit(vent.guild_id, vent_id, "approve", moderator_id)
        return before, text, topic

    async def return_to_queue(self, vent_id: int) -> None:
        """An approved vent could not be posted: put it back so nothing is lost."""
        await self.repo.transition(vent_id, ("pending",), "held")

    async def reject(self, vent_id: int, moderator_id: int) -> VentRecord:
        vent = await self._require(vent_id)
        before = await self.repo.transition(
            vent_id, ("held",), "rejected", decided_by=moderator_id, wipe_body=True
        )
        if before is None:
            raise UserFacingError(f"That vent was already {vent.state}.")
        await self.repo.audit(vent.guild_id, vent_id, "reject", moderator_id)
        return before

    # deleting and blocking ------------------------------------------------------------------

    async def delete_by_author(self, vent_id: int, user_id: int) -> VentRecord:
        vent = await self._require(vent_id)
        if not self.is_author(vent, user_id):
            raise UserFacingError("Only the person who wrote a vent can delete it this way.")
        before = await self.repo.transition(
            vent_id, ("posted", "held", "pending"), "deleted", wipe_body=True
        )
        if before is None:
            raise UserFacingError("That vent is already gone.")
        await self.repo.audit(vent.guild_id, vent_id, "author_delete")
        return before

    async def delete_by_moderator(self, vent_id: int, moderator_id: int) -> VentRecord:
        vent = await self._require(vent_id)
        before = await self.repo.transition(
            vent_id,
            ("posted", "held", "pending"),
            "deleted",
            decided_by=moderator_id,
            wipe_body=True,
        )
        if before is None:
            raise UserFacingError("That vent is already gone.")
        await self.repo.audit(vent.guild_id, vent_id, "delete", moderator_id)
        return before

    def _poster_key_of(self, vent: VentRecord) -> str:
        return self.poster_key(vent.guild_id, self.author_id(vent))

    async def is_poster_blocked(self, vent: VentRecord) -> bool:
        return await self.repo.is_banned(vent.guild_id, self._poster_key_of(vent))

    async def block(self, vent_id: int, moderator_id: int) -> bool:
        """Stop the poster of ``vent_id`` from venting here, under any name, without anyone
        learning who they are. Returns False if they were already blocked."""
        vent = await self._require(vent_id)
        added = await self.repo.ban(vent.guild_id, self._poster_key_of(vent), vent_id, moderator_id)
        if added:
            await self.repo.audit(vent.guild_id, vent_id, "block", moderator_id)
        return added

    async def unblock(self, vent_id: int, moderator_id: int) -> bool:
        vent = await self._require(vent_id)
        removed = await self.repo.unban(vent.guild_id, self._poster_key_of(vent))
        if removed:
            await self.repo.audit(vent.guild_id, vent_id, "unblock", moderator_id)
        return removed

    # relay and unmasking ----------------------------------------------------------------

    async def record_relay(
        self, vent: VentRecord, direction: str, moderator_id: int | None
    ) -> None:
        """Audit one relayed message (never its words)."""
        await self.repo.audit(vent.guild_id, vent.id, f"relay_{direction}", moderator_id)

    async def request_unmask(self, vent_id: int, moderator_id: int) -> UnmaskStep:
        """First moderator asks, a different second one confirms; then the id is returned
        (for the confirming moderator's eyes only), the step is audited, and the cog tells
        the author."""
        vent = await self._require(vent_id)
        if not (await self.options(vent.guild_id)).unmasking:
            raise UserFacingError(
                "Unmasking is off in this server. Blocking a poster works without knowing who "
                "they are; an admin can enable unmasking with /setup venting-options."
            )
        first = await self.repo.unmask_request(vent_id)
        if first is None:
            await self.repo.add_unmask_request(vent_id, vent.guild_id, moderator_id)
            await self.repo.audit(vent.guild_id, vent_id, "unmask_request", moderator_id)
            return UnmaskStep("requested", first_moderator_id=moderator_id)
        if first == moderator_id:
            return UnmaskStep("needs_second", first_moderator_id=first)
        await self.repo.clear_unmask_request(vent_id)
        await self.repo.audit(vent.guild_id, vent_id, "unmask", first, moderator_id)
        log.warning("vent %s in guild %s was unmasked by two moderators", vent_id, vent.guild_id)
        return UnmaskStep("revealed", author_id=self.author_id(vent), first_moderator_id=first)

    async def audit_log(self, guild_id: int, limit: int = 50) -> list[dict[str, object]]:
        return await self.repo.audit_log(guild_id, limit)

    def _seal_author(self, guild_id: int, user_id: int) -> str:
        return self._keys.encrypt_int(AUTHOR_ENCRYPTION, user_id, context=f"guild:{guild_id}")
