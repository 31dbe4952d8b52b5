"""A local fake Discord (REST + gateway) for end-to-end tests with the real discord.py client.

async with FakeDiscord() as fake, run_client(bot, fake):
    call = await fake.invoke_command("setup alerts", fake.users["admin"], options={...})
    response = await call.wait_response()
"""

from tests.fakediscord.fixtures import fake_discord, run_client
from tests.fakediscord.interactions import InteractionHandle, InteractionResponse
from tests.fakediscord.messages import EPHEMERAL, LOADING, StoredAttachment, StoredMessage
from tests.fakediscord.permissions import Overwrite
from tests.fakediscord.recording import FaultRule, RecordedFile, RecordedRequest
from tests.fakediscord.server import CommandNotAvailable, FakeDiscord
from tests.fakediscord.world import Channel, Guild, Member, Role, User

__all__ = [
    "EPHEMERAL",
    "LOADING",
    "Channel",
    "CommandNotAvailable",
    "FakeDiscord",
    "FaultRule",
    "Guild",
    "InteractionHandle",
    "InteractionResponse",
    "Member",
    "Overwrite",
    "RecordedFile",
    "RecordedRequest",
    "Role",
    "StoredAttachment",
    "StoredMessage",
    "User",
    "fake_discord",
    "run_client",
]
