"""Persistent buttons (DynamicItems: the escalation id lives in the custom_id, so they work
after a restart) and the optional resolve-note modal."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.app import report_interaction_error
from bot.escalation.models import Action, Escalation
from bot.escalation.states import allowed_actions
from cogs._ui import HavenModal, HavenView, is_moderator, send_ephemeral

if TYPE_CHECKING:
    from cogs.escalation._cog import EscalationCog

log = logging.getLogger(__name__)

COG_NAME = "Escalation"
ACTION_CODES: dict[str, Action] = {
    "ack": Action.ACKNOWLEDGE,
    "claim": Action.CLAIM,
    "resolve": Action.RESOLVE,
    "false": Action.FALSE_ALARM,
}
CODE_OF = {action: code for code, action in ACTION_CODES.items()}
BUTTONS: dict[Action, tuple[str, discord.ButtonStyle, str]] = {
    Action.ACKNOWLEDGE: ("Acknowledge", discord.ButtonStyle.secondary, "👀"),
    Action.CLAIM: ("Claim (I'm reaching out)", discord.ButtonStyle.primary, "🤝"),
    Action.RESOLVE: ("Resolve", discord.ButtonStyle.success, "✅"),
    Action.FALSE_ALARM: ("False alarm", discord.ButtonStyle.secondary, "🚫"),
}
REFUSAL = (
    "Only this server's moderators (the moderator role, or Manage Server) can act on "
    "escalations. Nothing was changed."
)


def _cog(interaction: discord.Interaction[Any]) -> EscalationCog:
    cog = interaction.client.get_cog(COG_NAME)
    if cog is None:
        raise RuntimeError("the escalation cog is not loaded")
    return cog  # type: ignore[return-value]


class EscalationButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"haven:esc:(?P<code>ack|claim|resolve|false):(?P<id>[0-9]{1,19})",
):
    """Acknowledge / Claim / Resolve / False alarm on a moderator alert."""

    def __init__(self, action: Action, escalation_id: int, *, disabled: bool = False) -> None:
        label, style, emoji = BUTTONS[action]
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                emoji=emoji,
                disabled=disabled,
                custom_id=f"haven:esc:{CODE_OF[action]}:{escalation_id}",
            )
        )
        self.action = action
        self.escalation_id = escalation_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Button[Any],
        match: Any,
    ) -> EscalationButton:
        return cls(ACTION_CODES[match["code"]], int(match["id"]))

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        # Dynamic items swallow exceptions here, so refuse explicitly and visibly.
        try:
            if await is_moderator(interaction.client, interaction.user):
                return True
            await send_ephemeral(interaction, REFUSAL)
        except discord.HTTPException:
            log.warning("could not send a button refusal")
        return False

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            if self.action is Action.RESOLVE:
                await interaction.response.send_modal(ResolveModal(self.escalation_id))
                return
            await _cog(interaction).apply_action(interaction, self.action, self.escalation_id)
        except Exception as exc:
            await report_interaction_error(interaction, exc)


class TalkButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"haven:esc:talk:(?P<id>[0-9]{1,19})",
):
    """In the crisis DM: the person asks for a human; the moderator team is paged."""

    def __init__(self, escalation_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Talk to a moderator",
                style=discord.ButtonStyle.primary,
                emoji="💬",
                custom_id=f"haven:esc:talk:{escalation_id}",
            )
        )
        self.escalation_id = escalation_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Button[Any],
        match: Any,
    ) -> TalkButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await _cog(interaction).page_moderators(interaction, self.escalation_id)
        except Exception as exc:
            await report_interaction_error(interaction, exc)


class ResolveModal(HavenModal, title="Resolve escalation"):
    note: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Note (optional, moderators only)",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=500,
        placeholder="e.g. talked in DMs, they're safe tonight and have a plan for tomorrow",
    )

    def __init__(self, escalation_id: int) -> None:
        super().__init__(custom_id=f"haven:esc:resolve_note:{escalation_id}")
        self.escalation_id = escalation_id

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if await is_moderator(interaction.client, interaction.user):
            return True
        await send_ephemeral(interaction, REFUSAL)
        return False

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await _cog(interaction).apply_action(
            interaction, Action.RESOLVE, self.escalation_id, note=self.note.value or None
        )


def alert_view(escalation: Escalation) -> HavenView:
    """The four moderator buttons; the ones the current state does not allow are disabled."""
    view = HavenView(timeout=None)
    allowed = set(allowed_actions(escalation.state))
    for action in BUTTONS:
        view.add_item(EscalationButton(action, escalation.id, disabled=action not in allowed))
    return view


def talk_view(escalation_id: int) -> HavenView:
    view = HavenView(timeout=None)
    view.add_item(TalkButton(escalation_id))
    return view
