"""REST routes of the fake Discord, answered the way Discord answers them.

Every request is recorded first, then failure rules apply, then a route handles it. JSON
responses carry ``Content-Type: application/json`` exactly: discord.py compares the header
verbatim and treats anything else (e.g. with "; charset=utf-8") as text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import traceback
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from tests.fakediscord import interactions as ix
from tests.fakediscord import permissions as p
from tests.fakediscord import validation
from tests.fakediscord.interactions import InteractionHandle, InteractionResponse
from tests.fakediscord.messages import EPHEMERAL, LOADING, StoredMessage
from tests.fakediscord.recording import RecordedFile, RecordedRequest
from tests.fakediscord.world import (
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    Channel,
    Guild,
    Json,
    iso_now,
)

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"

Reply = tuple[int, Any]  # (status, JSON body); body None -> 204 without content


class ApiError(Exception):
    def __init__(
        self, status: int, code: int, message: str, errors: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []

    def body(self) -> Json:
        body: Json = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = {
                "_errors": [{"code": "BASE_TYPE_INVALID", "message": e} for e in self.errors]
            }
        return body


def invalid(errors: list[str]) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", errors)


@dataclass(slots=True)
class Call:
    method: str
    path: str
    groups: tuple[str, ...]
    json: Any
    files: list[RecordedFile]
    query: dict[str, str]
    record: RecordedRequest

    def int_group(self, index: int) -> int:
        return int(self.groups[index])


Handler = Callable[[Call], Awaitable[Reply]]


def json_response(status: int, body: Any) -> web.Response:
    if body is None:
        return web.Response(status=204)
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )


class RestApi:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        s = r"(\d+)"
        tok = r"([^/]+)"
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/gateway/bot", self.gateway_bot),
            ("GET", "/gateway", self.gateway),
            ("GET", "/users/@me", self.users_me),
            ("GET", f"/users/{s}", self.get_user),
            ("POST", "/users/@me/channels", self.create_dm),
            ("DELETE", f"/users/@me/guilds/{s}", self.leave_guild),
            ("GET", "/oauth2/applications/@me", self.application_info),
            ("GET", "/applications/@me", self.application_info),
            ("GET", f"/applications/{s}/commands", self.list_commands),
            ("PUT", f"/applications/{s}/commands", self.bulk_commands),
            ("POST", f"/applications/{s}/commands", self.upsert_command),
            ("GET", f"/applications/{s}/commands/{s}", self.get_command),
            ("PATCH", f"/applications/{s}/commands/{s}", self.edit_command),
            ("DELETE", f"/applications/{s}/commands/{s}", self.delete_command),
            ("GET", f"/applications/{s}/guilds/{s}/commands", self.list_commands),
            ("PUT", f"/applications/{s}/guilds/{s}/commands", self.bulk_commands),
            ("POST", f"/applications/{s}/guilds/{s}/commands", self.upsert_command),
            ("GET", f"/applications/{s}/guilds/{s}/commands/permissions", self.empty_list),
            ("GET", f"/applications/{s}/guilds/{s}/commands/{s}", self.get_command),
            ("PATCH", f"/applications/{s}/guilds/{s}/commands/{s}", self.edit_command),
            ("DELETE", f"/applications/{s}/guilds/{s}/commands/{s}", self.delete_command),
            ("GET", f"/applications/{s}/entitlements", self.empty_list),
            ("GET", f"/applications/{s}/emojis", self.empty_items),
            ("GET", f"/channels/{s}", self.get_channel),
            ("PATCH", f"/channels/{s}", self.edit_channel),
            ("DELETE", f"/channels/{s}", self.delete_channel),
            ("GET", f"/channels/{s}/messages", self.history),
            ("POST", f"/channels/{s}/messages", self.create_message),
            ("POST", f"/channels/{s}/messages/bulk-delete", self.bulk_delete),
            ("GET", f"/channels/{s}/messages/pins", self.list_pins),
            ("PUT", f"/channels/{s}/messages/pins/{s}", self.no_content),
            ("DELETE", f"/channels/{s}/messages/pins/{s}", self.no_content),
            ("PUT", f"/channels/{s}/pins/{s}", self.no_content),
            ("DELETE", f"/channels/{s}/pins/{s}", self.no_content),
            ("GET", f"/channels/{s}/messages/{s}", self.get_message),
            ("PATCH", f"/channels/{s}/messages/{s}", self.edit_message),
            ("DELETE", f"/channels/{s}/messages/{s}", self.delete_message),
            ("PUT", f"/channels/{s}/messages/{s}/reactions/{tok}/@me", self.add_reaction),
            ("DELETE", f"/channels/{s}/messages/{s}/reactions/{tok}/@me", self.remove_reaction),
            ("POST", f"/channels/{s}/messages/{s}/threads", self.thread_from_message),
            ("POST", f"/channels/{s}/threads", self.thread_without_message),
            ("PUT", f"/channels/{s}/thread-members/{tok}", self.no_content),
            ("DELETE", f"/channels/{s}/thread-members/{tok}", self.no_content),
            ("POST", f"/channels/{s}/typing", self.no_content),
            ("GET", f"/guilds/{s}", self.get_guild),
            ("GET", f"/guilds/{s}/channels", self.guild_channels),
            ("GET", f"/guilds/{s}/roles", self.guild_roles),
            ("GET", f"/guilds/{s}/members", self.list_members),
            ("GET", f"/guilds/{s}/members/{s}", self.get_member),
            ("PATCH", f"/guilds/{s}/members/@me", self.edit_me),
            ("PATCH", f"/guilds/{s}/members/{s}", self.edit_member),
            ("DELETE", f"/guilds/{s}/members/{s}", self.kick_member),
            ("PUT", f"/guilds/{s}/members/{s}/roles/{s}", self.add_role),
            ("DELETE", f"/guilds/{s}/members/{s}/roles/{s}", self.remove_role),
            ("PUT", f"/guilds/{s}/bans/{s}", self.ban),
            ("DELETE", f"/guilds/{s}/bans/{s}", self.no_content),
            ("POST", f"/interactions/{s}/{tok}/callback", self.interaction_callback),
            ("POST", f"/webhooks/{s}/{tok}", self.execute_webhook),
            ("GET", f"/webhooks/{s}/{tok}/messages/(@original|\\d+)", self.get_webhook_message),
            ("PATCH", f"/webhooks/{s}/{tok}/messages/(@original|\\d+)", self.edit_webhook_message),
            (
                "DELETE",
                f"/webhooks/{s}/{tok}/messages/(@original|\\d+)",
                self.delete_webhook_message,
            ),
        ]
        self.routes = [(m, re.compile(path), h) for m, path, h in routes]

    # -- plumbing ---------------------------------------------------------------
    async def _read_body(self, request: web.Request) -> tuple[Any, list[RecordedFile]]:
        if not request.body_exists:
            return None, []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            files: list[RecordedFile] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read()
                if part.name == "payload_json":
                    payload = json.loads(data)
                else:
                    files.append(
                        RecordedFile(
                            part.name or "",
                            part.filename or "",
                            part.headers.get("Content-Type", "application/octet-stream"),
                            bytes(data),
                        )
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode(errors="replace"), []

    async def handle_unversioned(self, request: web.Request) -> web.Response:
        """Anything outside /api/v10 (e.g. a wrong Route.BASE): recorded, 404."""
        record = self._new_record(request, request.path, None, [])
        record.handled = False
        return self._finish(record, 404, {"message": "404: Not Found", "code": 0})

    def _new_record(
        self, request: web.Request, path: str, body: Any, files: list[RecordedFile]
    ) -> RecordedRequest:
        record = RecordedRequest(
            index=len(self.fake.log.requests),
            method=request.method,
            path=path,
            query=dict(request.query),
            headers=dict(request.headers),
            json=body,
            files=files,
            time=time.monotonic(),
        )
        self.fake.log.append(record)
        return record

    def _finish(
        self, record: RecordedRequest, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> web.Response:
        record.status = 204 if body is None and status < 300 else status
        record.response = body
        self.fake.changed()
        response = json_response(status, body)
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response

    async def handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        record = self._new_record(request, path, body, files)
        method = request.method

        for rule in self.fake.faults:
            if rule.applies(method, path):
                rule.hits += 1
                if rule.delay:
                    await asyncio.sleep(rule.delay)
                if rule.status is not None:
                    return self._fault_response(record, rule.status, rule.body, rule.retry_after)

        for route_method, pattern, handler in self.routes:
            if route_method != method:
                continue
            found = pattern.fullmatch(path)
            if found is None:
                continue
            needs_auth = not path.startswith(("/interactions/", "/webhooks/"))
            if needs_auth and not (record.authorization or "").startswith("Bot "):
                return self._finish(record, 401, {"message": "401: Unauthorized", "code": 0})
            call = Call(method, path, found.groups(), body, files, dict(request.query), record)
            try:
                status, reply = await handler(call)
            except ApiError as exc:
                return self._finish(record, exc.status, exc.body())
            except Exception:
                # A bug in the fake must fail the test fast, not trigger discord.py's 5xx retries.
                text = traceback.format_exc()
                self.fake.internal_errors.append(f"{method} {path}: {text}")
                log.error("fake discord failed on %s %s:\n%s", method, path, text)
                return self._finish(
                    record, 400, {"message": "fake discord internal error", "code": 0}
                )
            return self._finish(record, status, reply)

        record.handled = False
        log.warning("fake discord has no route for %s %s", method, path)
        return self._finish(record, 404, {"message": "404: Not Found", "code": 0})

    def _fault_response(
        self, record: RecordedRequest, status: int, body: Any, retry_after: float
    ) -> web.Response:
        if status == 429:
            body = body or {
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": False,
            }
            # discord.py treats a 429 without "Via" as a Cloudflare ban and gives up.
            return self._finish(
                record, 429, body, {"Via": "1.1 google", "Retry-After": str(retry_after)}
            )
        return self._finish(
            record, status, body or {"message": f"{status}: injected failure", "code": 0}
        )

    # -- lookups ----------------------------------------------------------------
    def _channel(self, channel_id: int) -> Channel:
        channel = self.fake.world.find_channel(channel_id)
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def _guild(self, guild_id: int) -> Guild:
        guild = self.fake.world.guilds.get(guild_id)
        if guild is None or self.fake.bot.id not in guild.members:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    def _message(self, channel_id: int, message_id: int) -> StoredMessage:
        message = self.fake.messages.get(message_id)
        if message is None or message.deleted or message.channel_id != channel_id:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    def _require(self, guild: Guild | None, channel_id: int | None, needed: int) -> None:
        if guild is None:
            return
        have = guild.permissions_for(self.fake.bot.id, channel_id)
        if channel_id is not None and not have & p.VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if needed & ~have:
            raise ApiError(403, 50013, "Missing Permissions")

    def _check_app(self, call: Call) -> None:
        if call.int_group(0) != self.fake.application_id:
            raise ApiError(403, 50001, "Missing Access")

    def _message_payload(self, message: StoredMessage) -> Json:
        return message.to_payload(self.fake.http_url, application_id=self.fake.application_id)

    # -- simple routes ----------------------------------------------------------
    async def no_content(self, call: Call) -> Reply:
        return 204, None

    async def empty_list(self, call: Call) -> Reply:
        return 200, []

    async def empty_items(self, call: Call) -> Reply:
        return 200, {"items": []}

    async def gateway_bot(self, call: Call) -> Reply:
        return 200, {
            "url": self.fake.ws_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14_400_000,
                "max_concurrency": 1,
            },
        }

    async def gateway(self, call: Call) -> Reply:
        return 200, {"url": self.fake.ws_url}

    async def users_me(self, call: Call) -> Reply:
        return 200, self.fake.bot.to_payload() | {
            "verified": True,
            "mfa_enabled": False,
            "bot": True,
        }

    async def get_user(self, call: Call) -> Reply:
        user = self.fake.world.users_by_id.get(call.int_group(0))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return 200, user.to_payload()

    async def create_dm(self, call: Call) -> Reply:
        recipient = int((call.json or {}).get("recipient_id", 0))
        user = self.fake.world.users_by_id.get(recipient)
        if user is None:
            raise invalid(["recipient_id: unknown user"])
        return 200, self.fake.world.dm_channel(user).to_payload()

    async def leave_guild(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        self.fake._remove_bot_from(guild)
        await self.fake.dispatch("GUILD_DELETE", {"id": str(guild.id)})
        return 204, None

    async def application_info(self, call: Call) -> Reply:
        fake = self.fake
        owner = fake.world.user(fake.guild.owner_id)
        return 200, {
            "id": str(fake.application_id),
            "name": fake.bot.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot": fake.bot.to_payload() | {"bot": True},
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": owner.to_payload(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": fake.application_flags,
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
            "integration_types_config": {"0": {}},
        }

    # -- application commands ---------------------------------------------------
    def _scope(self, call: Call) -> int | None:
        self._check_app(call)
        return call.int_group(1) if "/guilds/" in call.path else None

    def _command_payload(self, body: Json, scope: int | None, command_id: int) -> Json:
        payload: Json = {
            "id": str(command_id),
            "application_id": str(self.fake.application_id),
            "version": str(self.fake.world.ids.next()),
            "type": body.get("type", 1),
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description", ""),
            "description_localizations": body.get("description_localizations"),
            "options": body.get("options") or [],
            "default_member_permissions": body.get("default_member_permissions"),
            "dm_permission": body.get("dm_permission", True),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": body.get("nsfw", False),
        }
        if scope is not None:
            payload["guild_id"] = str(scope)
        return payload

    def _existing_id(self, scope: int | None, body: Json) -> int | None:
        for command_id, command in self.fake.commands.get(scope, {}).items():
            if command["name"] == body.get("name") and command["type"] == body.get("type", 1):
                return command_id
        return None

    async def list_commands(self, call: Call) -> Reply:
        return 200, list(self.fake.commands.get(self._scope(call), {}).values())

    async def bulk_commands(self, call: Call) -> Reply:
        scope = self._scope(call)
        if scope is not None:
            self._guild(scope)
        bodies: list[Json] = call.json or []
        errors = validation.command_errors(bodies)
        if errors:
            raise invalid(errors)
        new: dict[int, Json] = {}
        for body in bodies:
            command_id = self._existing_id(scope, body) or self.fake.world.ids.next()
            new[command_id] = self._command_payload(body, scope, command_id)
        self.fake.commands[scope] = new
        return 200, list(new.values())

    async def upsert_command(self, call: Call) -> Reply:
        scope = self._scope(call)
        body: Json = call.json or {}
        errors = validation.command_errors([body])
        if errors:
            raise invalid(errors)
        existing = self._existing_id(scope, body)
        command_id = existing or self.fake.world.ids.next()
        payload = self._command_payload(body, scope, command_id)
        self.fake.commands.setdefault(scope, {})[command_id] = payload
        return (200 if existing else 201), payload

    def _command(self, call: Call) -> tuple[int | None, int]:
        scope = self._scope(call)
        command_id = int(call.groups[-1])
        if command_id not in self.fake.commands.get(scope, {}):
            raise ApiError(404, 10063, "Unknown application command")
        return scope, command_id

    async def get_command(self, call: Call) -> Reply:
        scope, command_id = self._command(call)
        return 200, self.fake.commands[scope][command_id]

    async def edit_command(self, call: Call) -> Reply:
        scope, command_id = self._command(call)
        merged = self.fake.commands[scope][command_id] | (call.json or {})
        payload = self._command_payload(merged, scope, command_id)
        self.fake.commands[scope][command_id] = payload
        return 200, payload

    async def delete_command(self, call: Call) -> Reply:
        scope, command_id = self._command(call)
        del self.fake.commands[scope][command_id]
        return 204, None

    # -- channels and messages --------------------------------------------------
    async def get_channel(self, call: Call) -> Reply:
        return 200, self._channel(call.int_group(0)).to_payload()

    async def edit_channel(self, call: Call) -> Reply:
        channel = self._channel(call.int_group(0))
        guild = self.fake.world.guild_of_channel(channel.id)
        body: Json = call.json or {}
        self._require(
            guild, channel.id, p.MANAGE_THREADS if channel.is_thread else p.MANAGE_CHANNELS
        )
        for key in ("name", "topic"):
            if key in body:
                setattr(channel, key, body[key])
        if "archived" in body:
            channel.archived = bool(body["archived"])
        if "locked" in body:
            channel.locked = bool(body["locked"])
        payload = channel.to_payload()
        await self.fake.dispatch(
            "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE", payload
        )
        return 200, payload

    async def delete_channel(self, call: Call) -> Reply:
        channel = self._channel(call.int_group(0))
        guild = self.fake.world.guild_of_channel(channel.id)
        if guild is None:
            return 200, channel.to_payload()
        self._require(
            guild, channel.id, p.MANAGE_THREADS if channel.is_thread else p.MANAGE_CHANNELS
        )
        del guild.channels[channel.id]
        payload = channel.to_payload()
        await self.fake.dispatch(
            "THREAD_DELETE" if channel.is_thread else "CHANNEL_DELETE", payload
        )
        return 200, payload

    async def history(self, call: Call) -> Reply:
        channel = self._channel(call.int_group(0))
        guild = self.fake.world.guild_of_channel(channel.id)
        self._require(guild, channel.id, p.READ_MESSAGE_HISTORY)
        limit = int(call.query.get("limit", 50))
        found = self.fake.messages.in_channel(channel.id)
        if "before" in call.query:
            found = [m for m in found if m.id < int(call.query["before"])]
        if "after" in call.query:
            found = [m for m in found if m.id > int(call.query["after"])][:limit]
        found = [m for m in found if not m.ephemeral]
        newest_first = sorted(found, key=lambda m: m.id, reverse=True)[:limit]
        return 200, [self._message_payload(m) for m in newest_first]

    def _check_can_send(self, channel: Channel, files: list[RecordedFile]) -> Guild | None:
        if channel.is_dm:
            recipient = channel.recipient
            assert recipient is not None
            if recipient.id in self.fake.blocked_dm_user_ids or recipient.bot:
                raise ApiError(403, 50007, "Cannot send messages to this user")
            return None
        guild = self.fake.world.guild_of_channel(channel.id)
        needed = p.SEND_MESSAGES_IN_THREADS if channel.is_thread else p.SEND_MESSAGES
        if files:
            needed |= p.ATTACH_FILES
        self._require(guild, channel.id, needed)
        if channel.is_thread and (channel.archived or channel.locked):
            raise ApiError(400, 50083, "Thread is archived")
        return guild

    async def create_message(self, call: Call) -> Reply:
        channel = self._channel(call.int_group(0))
        self._check_can_send(channel, call.files)
        payload: Json = call.json or {}
        errors = validation.message_errors(payload, file_count=len(call.files))
        if errors:
            raise (
                ApiError(400, 50006, "Cannot send an empty message")
                if errors == ["empty message"]
                else invalid(errors)
            )
        reference = payload.get("message_reference")
        if reference and reference.get("fail_if_not_exists", True):
            target = self.fake.messages.get(int(reference["message_id"]))
            if target is None or target.deleted:
                raise invalid(["message_reference: Unknown message"])
        message = await self.fake.create_bot_message(channel, payload, call.files)
        return 200, self._message_payload(message)

    async def get_message(self, call: Call) -> Reply:
        message = self._message(call.int_group(0), call.int_group(1))
        guild = self.fake.world.guild_of_channel(message.channel_id)
        self._require(guild, message.channel_id, p.READ_MESSAGE_HISTORY)
        return 200, self._message_payload(message)

    async def edit_message(self, call: Call) -> Reply:
        message = self._message(call.int_group(0), call.int_group(1))
        if message.author.id != self.fake.bot.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        payload: Json = call.json or {}
        errors = validation.message_errors(payload, editing=True)
        if errors:
            raise invalid(errors)
        await self.fake.edit_bot_message(message, payload, call.files)
        return 200, self._message_payload(message)

    async def delete_message(self, call: Call) -> Reply:
        message = self._message(call.int_group(0), call.int_group(1))
        if message.author.id != self.fake.bot.id:
            guild = self.fake.world.guild_of_channel(message.channel_id)
            if guild is None:
                raise ApiError(403, 50003, "Cannot execute action on a DM channel")
            self._require(guild, message.channel_id, p.MANAGE_MESSAGES)
        await self.fake.delete_message(message)
        return 204, None

    async def bulk_delete(self, call: Call) -> Reply:
        channel = self._channel(call.int_group(0))
        guild = self.fake.world.guild_of_channel(channel.id)
        self._require(guild, channel.id, p.MANAGE_MESSAGES)
        ids = [int(i) for i in (call.json or {}).get("messages", [])]
        if not 2 <= len(ids) <= 100:
            raise invalid(["messages: 2 to 100 ids required"])
        for message_id in ids:
            message = self.fake.messages.get(message_id)
            if message is not None and message.channel_id == channel.id and not message.deleted:
                await self.fake.delete_message(message)
        return 204, None

    async def list_pins(self, call: Call) -> Reply:
        self._channel(call.int_group(0))
        return 200, {"items": [], "has_more": False}

    async def add_reaction(self, call: Call) -> Reply:
        message = self._message(call.int_group(0), call.int_group(1))
        guild = self.fake.world.guild_of_channel(message.channel_id)
        self._require(guild, message.channel_id, p.ADD_REACTIONS | p.READ_MESSAGE_HISTORY)
        emoji = urllib.parse.unquote(call.groups[2])
        if emoji not in message.reactions:
            message.reactions.append(emoji)
        return 204, None

    async def remove_reaction(self, call: Call) -> Reply:
        message = self._message(call.int_group(0), call.int_group(1))
        emoji = urllib.parse.unquote(call.groups[2])
        if emoji in message.reactions:
            message.reactions.remove(emoji)
        return 204, None

    async def _create_thread(
        self, parent: Channel, body: Json, *, thread_id: int | None, thread_type: int
    ) -> Json:
        guild = self.fake.world.guild_of_channel(parent.id)
        if guild is None or parent.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        needed = (
            p.CREATE_PUBLIC_THREADS if thread_type == PUBLIC_THREAD else p.CREATE_PRIVATE_THREADS
        )
        self._require(guild, parent.id, needed)
        name = body.get("name") or ""
        if not 1 <= len(name) <= 100:
            raise invalid(["name: 1 to 100 characters required"])
        thread = Channel(
            thread_id or self.fake.world.ids.next(),
            name,
            type=thread_type,
            guild_id=guild.id,
            parent_id=parent.id,
            owner_id=self.fake.bot.id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            created_at=iso_now(),
        )
        guild.channels[thread.id] = thread
        payload = thread.to_payload()
        await self.fake.dispatch("THREAD_CREATE", payload | {"newly_created": True})
        return payload

    async def thread_from_message(self, call: Call) -> Reply:
        parent = self._channel(call.int_group(0))
        message = self._message(parent.id, call.int_group(1))
        if message.thread_id is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        payload = await self._create_thread(
            parent, call.json or {}, thread_id=message.id, thread_type=PUBLIC_THREAD
        )
        message.thread_id = message.id
        return 201, payload

    async def thread_without_message(self, call: Call) -> Reply:
        parent = self._channel(call.int_group(0))
        body: Json = call.json or {}
        thread_type = int(body.get("type") or PRIVATE_THREAD)
        payload = await self._create_thread(parent, body, thread_id=None, thread_type=thread_type)
        return 201, payload

    # -- guilds and members -----------------------------------------------------
    async def get_guild(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        payload = guild.to_payload()
        for key in ("members", "channels", "threads", "voice_states", "presences", "joined_at"):
            payload.pop(key, None)
        payload["approximate_member_count"] = len(guild.members)
        payload["approximate_presence_count"] = 0
        return 200, payload

    async def guild_channels(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        return 200, [c.to_payload() for c in guild.channels.values() if not c.is_thread]

    async def guild_roles(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        return 200, [r.to_payload() for r in guild.roles.values()]

    async def list_members(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        after = int(call.query.get("after", 0))
        limit = int(call.query.get("limit", 1))
        ids = sorted(i for i in guild.members if i > after)[:limit]
        return 200, [guild.members[i].to_payload() for i in ids]

    def _member(self, guild: Guild, user_id: int) -> Any:
        member = guild.members.get(user_id)
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return member

    async def get_member(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        return 200, self._member(guild, call.int_group(1)).to_payload()

    async def _member_updated(self, guild: Guild, user_id: int) -> Json:
        payload = guild.members[user_id].to_payload() | {"guild_id": str(guild.id)}
        await self.fake.dispatch("GUILD_MEMBER_UPDATE", payload)
        return guild.members[user_id].to_payload()

    def _check_moderatable(self, guild: Guild, user_id: int) -> None:
        if user_id == guild.owner_id or guild.permissions_for(user_id) & p.ADMINISTRATOR:
            raise ApiError(403, 50013, "Missing Permissions")

    async def edit_member(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        user_id = call.int_group(1)
        member = self._member(guild, user_id)
        body: Json = call.json or {}
        if "communication_disabled_until" in body:
            self._require(guild, None, p.MODERATE_MEMBERS)
            self._check_moderatable(guild, user_id)
            member.communication_disabled_until = body["communication_disabled_until"]
        if "nick" in body:
            member.nick = body["nick"]
        if "roles" in body:
            self._require(guild, None, p.MANAGE_ROLES)
            member.roles = [int(r) for r in body["roles"]]
        return 200, await self._member_updated(guild, user_id)

    async def edit_me(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        member = guild.members[self.fake.bot.id]
        if "nick" in (call.json or {}):
            member.nick = call.json["nick"]
        return 200, await self._member_updated(guild, self.fake.bot.id)

    async def kick_member(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        user_id = call.int_group(1)
        self._member(guild, user_id)
        self._require(guild, None, p.KICK_MEMBERS)
        self._check_moderatable(guild, user_id)
        member = guild.members.pop(user_id)
        await self.fake.dispatch(
            "GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": member.user.to_payload()}
        )
        return 204, None

    async def add_role(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        member = self._member(guild, call.int_group(1))
        self._require(guild, None, p.MANAGE_ROLES)
        role_id = call.int_group(2)
        if role_id not in guild.roles:
            raise ApiError(404, 10011, "Unknown Role")
        if role_id not in member.roles:
            member.roles.append(role_id)
        await self._member_updated(guild, member.user.id)
        return 204, None

    async def remove_role(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        member = self._member(guild, call.int_group(1))
        self._require(guild, None, p.MANAGE_ROLES)
        role_id = call.int_group(2)
        if role_id in member.roles:
            member.roles.remove(role_id)
        await self._member_updated(guild, member.user.id)
        return 204, None

    async def ban(self, call: Call) -> Reply:
        guild = self._guild(call.int_group(0))
        user_id = call.int_group(1)
        self._require(guild, None, p.BAN_MEMBERS)
        self._check_moderatable(guild, user_id)
        member = guild.members.pop(user_id, None)
        if member is not None:
            await self.fake.dispatch(
                "GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": member.user.to_payload()}
            )
        return 204, None

    # -- interactions and their webhooks ----------------------------------------
    _ALLOWED_CALLBACKS = {  # noqa: RUF012 - constant table
        ix.APPLICATION_COMMAND: {4, 5, 9},
        ix.MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
        ix.AUTOCOMPLETE: {8},
        ix.MODAL_SUBMIT: {4, 5, 6, 7},
    }

    async def interaction_callback(self, call: Call) -> Reply:
        fake = self.fake
        handle = fake.interactions.get(call.int_group(0))
        if handle is None or handle.token != call.groups[1]:
            raise ApiError(404, 10062, "Unknown interaction")
        if handle.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body: Json = call.json or {}
        cb_type = int(body.get("type", 0))
        data: Json = body.get("data") or {}
        if cb_type not in self._ALLOWED_CALLBACKS.get(handle.type, set()):
            raise invalid(
                [f"type: response type {cb_type} is not valid for interaction type {handle.type}"]
            )
        if cb_type in (6, 7) and handle.original_message_id is None:
            raise invalid([f"type: response type {cb_type} needs a message"])
        errors: list[str] = []
        if cb_type == ix.CHANNEL_MESSAGE:
            errors = validation.message_errors(data, file_count=len(call.files))
        elif cb_type == ix.UPDATE_MESSAGE:
            errors = validation.message_errors(data, editing=True)
        elif cb_type == ix.AUTOCOMPLETE_RESULT:
            errors = validation.autocomplete_errors(data)
        elif cb_type == ix.MODAL:
            errors = validation.modal_errors(data)
        if errors:
            raise invalid(errors)

        channel = self._channel(handle.channel_id)
        message: StoredMessage | None = None
        if cb_type == ix.CHANNEL_MESSAGE:
            message = await fake.create_bot_message(channel, data, call.files, interaction=handle)
            handle.original_message_id = message.id
        elif cb_type == ix.DEFERRED_CHANNEL_MESSAGE:
            flags = int(data.get("flags") or 0) & EPHEMERAL
            message = await fake.create_bot_message(
                channel, {"flags": flags}, [], interaction=handle, extra_flags=LOADING
            )
            handle.original_message_id = message.id
        elif cb_type == ix.UPDATE_MESSAGE:
            message = handle.original
            assert message is not None
            await fake.edit_bot_message(message, data, call.files)
        # Recorded only now, so a waiter that sees the response also sees its message.
        handle.callbacks.append(
            InteractionResponse(cb_type, data, list(call.files), message.id if message else None)
        )
        resource: Json = {"type": cb_type}
        if message is not None:
            resource["message"] = self._message_payload(message)
        return 200, {
            "interaction": {
                "id": str(handle.id),
                "type": handle.type,
                "activity_instance_id": None,
                "response_message_id": str(message.id) if message else None,
                "response_message_loading": cb_type == ix.DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(message and message.ephemeral),
            },
            "resource": resource,
        }

    def _webhook_handle(self, call: Call) -> InteractionHandle:
        handle = self.fake.interaction_by_token(call.groups[1])
        if handle is None or call.int_group(0) != self.fake.application_id or not handle.callbacks:
            raise ApiError(404, 10015, "Unknown Webhook")
        return handle

    def _webhook_message(self, call: Call, handle: InteractionHandle) -> StoredMessage:
        which = call.groups[2]
        message_id = handle.original_message_id if which == "@original" else int(which)
        allowed = {handle.original_message_id, *handle.followup_ids}
        message = self.fake.messages.get(message_id) if message_id is not None else None
        if message is None or message.deleted or message_id not in allowed:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    async def execute_webhook(self, call: Call) -> Reply:
        handle = self._webhook_handle(call)
        payload: Json = call.json or {}
        errors = validation.message_errors(payload, file_count=len(call.files))
        if errors:
            raise invalid(errors)
        original = handle.original
        response = handle.response
        if (
            response is not None
            and response.type == ix.DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original.loading
        ):
            # After a "thinking…" defer, Discord turns the first followup into that message.
            message = await self.fake.edit_bot_message(original, payload, call.files)
        else:
            channel = self._channel(handle.channel_id)
            message = await self.fake.create_bot_message(
                channel, payload, call.files, interaction=handle
            )
        handle.followup_ids.append(message.id)
        if call.query.get("wait", "false").lower() not in ("true", "1"):
            return 204, None
        return 200, self._message_payload(message)

    async def get_webhook_message(self, call: Call) -> Reply:
        handle = self._webhook_handle(call)
        return 200, self._message_payload(self._webhook_message(call, handle))

    async def edit_webhook_message(self, call: Call) -> Reply:
        handle = self._webhook_handle(call)
        message = self._webhook_message(call, handle)
        payload: Json = call.json or {}
        errors = validation.message_errors(payload, editing=True)
        if errors:
            raise invalid(errors)
        await self.fake.edit_bot_message(message, payload, call.files)
        return 200, self._message_payload(message)

    async def delete_webhook_message(self, call: Call) -> Reply:
        handle = self._webhook_handle(call)
        message = self._webhook_message(call, handle)
        await self.fake.delete_message(message)
        return 204, None
