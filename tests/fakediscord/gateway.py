"""The fake gateway: HELLO, IDENTIFY/READY, GUILD_CREATE, heartbeats, RESUME, dispatch.

Frames are sent as plain JSON text. discord.py asks for ``compress=zlib-stream`` in the query,
but it parses TEXT frames as uncompressed JSON and only decompresses BINARY frames, so the
fake never compresses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.fakediscord.world import Json

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

log = logging.getLogger(__name__)

# Opcodes
DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
PRESENCE_UPDATE = 3
VOICE_STATE_UPDATE = 4
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

# Intents
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15
GUILD_PRESENCES = 1 << 8
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

HEARTBEAT_INTERVAL_MS = 41250


def required_intent(event: str, data: Json) -> int | None:
    """The intent an event needs to be delivered (None: always delivered)."""
    in_guild = "guild_id" in data and data["guild_id"] is not None
    if event.startswith("MESSAGE_REACTION"):
        return GUILD_MESSAGE_REACTIONS if in_guild else DIRECT_MESSAGE_REACTIONS
    if event.startswith("MESSAGE_"):
        return GUILD_MESSAGES if in_guild else DIRECT_MESSAGES
    if event.startswith("GUILD_MEMBER"):
        return GUILD_MEMBERS
    if event.startswith(("GUILD_", "CHANNEL_", "THREAD_")):
        return GUILDS
    return None


@dataclass(slots=True)
class GatewaySession:
    id: str
    intents: int
    shard: tuple[int, int]
    seq: int = 0
    sent: list[Json] = field(default_factory=list)  # dispatch frames, for RESUME replay
    ws: web.WebSocketResponse | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self._fake = fake
        self.sessions: dict[str, GatewaySession] = {}
        self.current: GatewaySession | None = None
        self.identify_payloads: list[Json] = []
        self.resume_payloads: list[Json] = []
        self.connect_queries: list[dict[str, str]] = []
        self.dropped_events: list[tuple[str, Json]] = []
        self.heartbeats = 0
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def connected(self) -> bool:
        session = self.current
        return session is not None and session.ws is not None and not session.ws.closed

    @property
    def intents(self) -> int:
        return self.current.intents if self.current is not None else 0

    # -- connection -------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.connect_queries.append(dict(request.query))
        session: GatewaySession | None = None
        try:
            await ws.send_str(
                json.dumps(
                    {
                        "op": HELLO,
                        "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS},
                        "s": None,
                        "t": None,
                    }
                )
            )
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                data = frame.get("d")
                if op == HEARTBEAT:
                    self.heartbeats += 1
                    await ws.send_str(json.dumps({"op": HEARTBEAT_ACK}))
                elif op == IDENTIFY:
                    session = await self._identify(ws, data)
                elif op == RESUME:
                    session = await self._resume(ws, data)
                elif op == REQUEST_GUILD_MEMBERS and session is not None:
                    await self._members_chunk(session, data)
                # PRESENCE_UPDATE, VOICE_STATE_UPDATE: accepted, ignored
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
            self._fake.changed()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: Json) -> GatewaySession | None:
        self.identify_payloads.append(data)
        intents = int(data.get("intents", 0))
        if not data.get("token"):
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        if intents & PRIVILEGED & ~self._fake.allowed_privileged_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = tuple(data.get("shard") or (0, 1))
        session = GatewaySession(secrets.token_hex(16), intents, (int(shard[0]), int(shard[1])))
        session.ws = ws
        self.sessions[session.id] = session
        self.current = session
        fake = self._fake
        guild_ids = sorted(fake.world.bot_guild_ids)
        await self._send_dispatch(
            session,
            "READY",
            {
                "v": 10,
                "user": fake.bot.to_payload()
                | {"verified": True, "mfa_enabled": False, "bot": True},
                "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
                "session_id": session.id,
                "session_type": "normal",
                "resume_gateway_url": fake.ws_url,
                "shard": list(session.shard),
                "application": {"id": str(fake.application_id), "flags": fake.application_flags},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "user_settings": {},
            },
        )
        for guild_id in guild_ids:
            await self._send_dispatch(session, "GUILD_CREATE", fake.guild_create_payload(guild_id))
        fake.changed()
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: Json) -> GatewaySession | None:
        self.resume_payloads.append(data)
        session = self.sessions.get(data.get("session_id", ""))
        if session is None:
            await ws.send_str(json.dumps({"op": INVALID_SESSION, "d": False}))
            return None
        async with session.lock:
            session.ws = ws
            self.current = session
            last = int(data.get("seq") or 0)
            for frame in session.sent:
                if frame["s"] > last:
                    await ws.send_str(json.dumps(frame))
        await self._send_dispatch(session, "RESUMED", {})
        self._fake.changed()
        return session

    async def _members_chunk(self, session: GatewaySession, data: Json) -> None:
        guild = self._fake.world.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = (data.get("query") or "").lower()
        members = [
            m.to_payload()
            for uid, m in guild.members.items()
            if (not wanted or uid in wanted) and m.user.username.lower().startswith(query)
        ]
        await self._send_dispatch(
            session,
            "GUILD_MEMBERS_CHUNK",
            {
                "guild_id": str(guild.id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
                "nonce": data.get("nonce"),
            },
        )

    # -- sending ----------------------------------------------------------------
    async def _send_dispatch(self, session: GatewaySession, event: str, data: Json) -> None:
        async with session.lock:
            session.seq += 1
            frame: dict[str, Any] = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
            session.sent.append(frame)
            ws = session.ws
            if ws is not None and not ws.closed:
                try:
                    await ws.send_str(json.dumps(frame))
                except ConnectionError:
                    log.debug("gateway connection lost while sending %s; kept for RESUME", event)

    async def dispatch(self, event: str, data: Json) -> bool:
        """Send an event to the bot; False if its intents filter it out (recorded as dropped)."""
        session = self.current
        if session is None:
            raise RuntimeError(f"cannot dispatch {event}: the bot never identified")
        needed = required_intent(event, data)
        if self._fake.enforce_intents and needed is not None and not session.intents & needed:
            self.dropped_events.append((event, data))
            log.warning("fake gateway dropped %s: the bot lacks intent %d", event, needed)
            return False
        await self._send_dispatch(session, event, data)
        return True

    # -- connection control -----------------------------------------------------
    async def drop(self, code: int = 4000) -> None:
        """Close the live connection; with a resumable code discord.py reconnects and RESUMEs."""
        session = self.current
        if session is not None and session.ws is not None:
            ws = session.ws
            session.ws = None
            await ws.close(code=code, message=b"fake gateway drop")

    async def send_op(self, op: int, data: Any) -> None:
        session = self.current
        if session is None or session.ws is None:
            raise RuntimeError("no live gateway connection")
        await session.ws.send_str(json.dumps({"op": op, "d": data, "s": None, "t": None}))

    async def close_all(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"fake discord shutting down")
