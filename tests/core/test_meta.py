"""Cheap checks on the codebase itself."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from bot.app import cog_modules

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", cog_modules())
def test_every_cog_module_imports_and_has_setup(module: str) -> None:
    imported = importlib.import_module(module)
    assert callable(getattr(imported, "setup", None)), f"{module} has no setup()"


def test_services_under_bot_do_not_import_discord() -> None:
    allowed = {"bot/app.py", "bot/__main__.py"}
    offenders = []
    for path in (ROOT / "bot").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "discord" or name.startswith("discord.") for name in names):
                offenders.append(rel)
    assert offenders == []


def test_no_mock_without_a_spec_in_tests() -> None:
    offenders = []
    for path in (ROOT / "tests").rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr)
                in {"Mock", "MagicMock", "AsyncMock", "NonCallableMagicMock"}
                and not any(kw.arg in {"spec", "spec_set", "wraps"} for kw in node.keywords)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_no_print_in_bot_or_cogs() -> None:
    offenders = []
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text("utf-8"))
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "print"
            ]
    assert offenders == []
