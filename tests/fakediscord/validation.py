"""Discord's documented size limits, so the fake rejects what real Discord rejects (HTTP 400)."""

from __future__ import annotations

import re
from typing import Any

from tests.fakediscord.world import Json

COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def message_errors(payload: Json, *, file_count: int = 0, editing: bool = False) -> list[str]:
    errors: list[str] = []
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    components = payload.get("components") or []
    if len(content) > 2000:
        errors.append(f"content: must be 2000 or fewer in length (got {len(content)})")
    if not editing and not (
        content
        or embeds
        or components
        or file_count
        or payload.get("sticker_ids")
        or payload.get("poll")
    ):
        errors.append("empty message")
    if len(embeds) > 10:
        errors.append("embeds: at most 10")
    total = 0
    for i, embed in enumerate(embeds):
        total += _embed_errors(embed, f"embeds.{i}", errors)
    if total > 6000:
        errors.append(f"embeds: combined text must be 6000 or fewer (got {total})")
    errors.extend(component_errors(components))
    return errors


def _limit(value: Any, limit: int, where: str, errors: list[str]) -> int:
    text = "" if value is None else str(value)
    if len(text) > limit:
        errors.append(f"{where}: must be {limit} or fewer in length (got {len(text)})")
    return len(text)


def _embed_errors(embed: Json, where: str, errors: list[str]) -> int:
    total = _limit(embed.get("title"), 256, f"{where}.title", errors)
    total += _limit(embed.get("description"), 4096, f"{where}.description", errors)
    fields = embed.get("fields") or []
    if len(fields) > 25:
        errors.append(f"{where}.fields: at most 25")
    for j, fld in enumerate(fields):
        name, value = fld.get("name"), fld.get("value")
        if not name or not value:
            errors.append(f"{where}.fields.{j}: name and value are required")
        total += _limit(name, 256, f"{where}.fields.{j}.name", errors)
        total += _limit(value, 1024, f"{where}.fields.{j}.value", errors)
    total += _limit((embed.get("footer") or {}).get("text"), 2048, f"{where}.footer.text", errors)
    total += _limit((embed.get("author") or {}).get("name"), 256, f"{where}.author.name", errors)
    return total


def component_errors(components: list[Json], *, modal: bool = False) -> list[str]:
    errors: list[str] = []
    if not modal and len(components) > 5 and all(c.get("type") == 1 for c in components):
        errors.append("components: at most 5 action rows")
    for i, row in enumerate(components):
        children = row.get("components") or []
        if row.get("type") == 1 and len(children) > 5:
            errors.append(f"components.{i}: at most 5 components per row")
        for j, item in enumerate([*children, *([row["component"]] if "component" in row else [])]):
            where = f"components.{i}.components.{j}"
            _limit(item.get("custom_id"), 100, f"{where}.custom_id", errors)
            _limit(item.get("label"), 80 if item.get("type") == 2 else 45, f"{where}.label", errors)
            _limit(item.get("placeholder"), 150, f"{where}.placeholder", errors)
            options = item.get("options") or []
            if len(options) > 25:
                errors.append(f"{where}.options: at most 25")
            for k, option in enumerate(options):
                _limit(option.get("label"), 100, f"{where}.options.{k}.label", errors)
                _limit(option.get("value"), 100, f"{where}.options.{k}.value", errors)
                _limit(option.get("description"), 100, f"{where}.options.{k}.description", errors)
    return errors


def modal_errors(data: Json) -> list[str]:
    errors: list[str] = []
    if not data.get("custom_id"):
        errors.append("custom_id: required")
    _limit(data.get("title"), 45, "title", errors)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        errors.append(f"components: 1 to 5 required (got {len(components)})")
    errors.extend(component_errors(components, modal=True))
    return errors


def autocomplete_errors(data: Json) -> list[str]:
    errors: list[str] = []
    choices = data.get("choices") or []
    if len(choices) > 25:
        errors.append(f"choices: at most 25 (got {len(choices)})")
    for i, choice in enumerate(choices):
        _limit(choice.get("name"), 100, f"choices.{i}.name", errors)
        if isinstance(choice.get("value"), str):
            _limit(choice["value"], 100, f"choices.{i}.value", errors)
    return errors


def command_errors(commands: list[Json]) -> list[str]:
    errors: list[str] = []
    if len(commands) > 100:
        errors.append("at most 100 commands")
    seen: set[tuple[int, str]] = set()
    for i, command in enumerate(commands):
        kind = command.get("type", 1)
        name = command.get("name", "")
        key = (kind, name)
        if key in seen:
            errors.append(f"{i}.name: duplicate command {name!r}")
        seen.add(key)
        if kind == 1:
            if not COMMAND_NAME.match(name) or name != name.lower():
                errors.append(f"{i}.name: invalid slash command name {name!r}")
            description = command.get("description") or ""
            if not 1 <= len(description) <= 100:
                errors.append(f"{i}.description: 1 to 100 characters required for {name!r}")
            _option_errors(command.get("options") or [], f"{i}.options", errors)
        elif not 1 <= len(name) <= 32:
            errors.append(f"{i}.name: 1 to 32 characters required")
    return errors


def _option_errors(options: list[Json], where: str, errors: list[str]) -> None:
    if len(options) > 25:
        errors.append(f"{where}: at most 25 options")
    seen_optional = False
    for i, option in enumerate(options):
        name = option.get("name", "")
        if not COMMAND_NAME.match(name) or name != name.lower():
            errors.append(f"{where}.{i}.name: invalid option name {name!r}")
        if not 1 <= len(option.get("description") or "") <= 100:
            errors.append(f"{where}.{i}.description: 1 to 100 characters required for {name!r}")
        if option.get("type") in (1, 2):
            _option_errors(option.get("options") or [], f"{where}.{i}.options", errors)
            continue
        if option.get("required"):
            if seen_optional:
                errors.append(f"{where}.{i}: required options must come before optional ones")
        else:
            seen_optional = True
        if len(option.get("choices") or []) > 25:
            errors.append(f"{where}.{i}.choices: at most 25")
