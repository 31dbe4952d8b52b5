"""Persistent buttons keep the custom ids that messages already posted carry."""

from __future__ import annotations

import discord
import pytest

from cogs._ui import PersistentButton
from cogs.checkins._views import NoteButton
from cogs.moderation._views import DeleteButton, DismissButton, TimeoutButton
from cogs.venting._views import (
    ApproveButton,
    AuthorReplyButton,
    DeleteMyVentButton,
    ReachOutButton,
    RejectButton,
)

CASES = [
    (DeleteButton, "haven:mod:delete:5", "Delete", discord.ButtonStyle.danger),
    (TimeoutButton, "haven:mod:timeout:5", "Timeout", discord.ButtonStyle.secondary),
    (DismissButton, "haven:mod:dismiss:5", "Dismiss", discord.ButtonStyle.success),
    (DeleteMyVentButton, "haven:vent:del:5", "Delete my vent", discord.ButtonStyle.danger),
    (ApproveButton, "haven:vent:approve:5", "Approve", discord.ButtonStyle.success),
    (RejectButton, "haven:vent:reject:5", "Reject", discord.ButtonStyle.secondary),
    (ReachOutButton, "haven:vent:relay:5", "Reach out", discord.ButtonStyle.primary),
    (
        AuthorReplyButton,
        "haven:vent:reply:5",
        "Reply to the moderators",
        discord.ButtonStyle.primary,
    ),
    (NoteButton, "haven:checkin:note:5", "Add a private note", discord.ButtonStyle.secondary),
]


@pytest.mark.parametrize(("cls", "custom_id", "label", "style"), CASES)
async def test_button_round_trips_its_custom_id(
    cls: type[PersistentButton], custom_id: str, label: str, style: discord.ButtonStyle
) -> None:
    button = cls(5)
    assert (button.item.custom_id, button.item.label, button.item.style) == (
        custom_id,
        label,
        style,
    )
    match = cls.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match is not None
    rebuilt = await cls.from_custom_id(None, button.item, match)  # type: ignore[arg-type]
    assert (type(rebuilt), rebuilt.item_id) == (cls, 5)


@pytest.mark.parametrize(("cls", "custom_id"), [(c[0], c[1]) for c in CASES])
def test_templates_do_not_match_other_buttons_ids(
    cls: type[PersistentButton], custom_id: str
) -> None:
    template = cls.__discord_ui_compiled_template__
    assert template.fullmatch(custom_id.replace(":5", ":x")) is None
    others = [c[1] for c in CASES if c[0] is not cls]
    assert not any(template.fullmatch(other) for other in others)


def test_a_labelled_instance_keeps_its_id() -> None:
    button = ReachOutButton(7, "Reply")
    assert (button.item.label, button.item.custom_id) == ("Reply", "haven:vent:relay:7")
    assert str(NoteButton(1).item.emoji) == "📝"
