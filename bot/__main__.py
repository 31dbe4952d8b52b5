"""Haven's command line: ``python -m bot <command> --config PATH`` (also installed as ``haven``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings
from bot.log import setup_logging

if TYPE_CHECKING:
    from bot.safety.evaluation import SemanticMode

log = logging.getLogger("bot.cli")

EXIT_CONFIG = 2

NO_TOKEN = (
    "no Discord bot token configured. Create an application at "
    "https://discord.com/developers/applications, open Bot → Reset Token, then either "
    "export HAVEN_DISCORD__TOKEN=<token> or set token under [discord] in {config}."
)


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def fail(text: str, code: int = EXIT_CONFIG) -> int:
    sys.stderr.write(f"haven: {text}\n")
    return code


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=Path("config.toml"),
        help="settings file (default: config.toml; missing = defaults + HAVEN_* environment)",
    )
    parser = argparse.ArgumentParser(prog="haven", description="Haven peer-support Discord bot")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", parents=[common], help="connect to Discord and run the bot")
    sub.add_parser("check-config", parents=[common], help="validate settings, print a summary")
    db = sub.add_parser("db", parents=[common], help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_sub.add_parser("upgrade", parents=[common], help="apply pending migrations")
    backup = db_sub.add_parser(
        "backup", parents=[common], help="copy the database safely, even while the bot runs"
    )
    backup.add_argument("path", type=Path, help="where to write the copy")
    evaluate = sub.add_parser(
        "eval", parents=[common], help="measure the crisis detector on a labelled .jsonl file"
    )
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    scan = sub.add_parser("scan", parents=[common], help="assess one text and explain why")
    scan.add_argument("text")
    for command in (evaluate, scan):
        layers = command.add_mutually_exclusive_group()
        layers.add_argument(
            "--rules-only",
            action="store_true",
            help="the rule layer alone (default: the detector as the bot runs it, i.e. rules"
            " + semantic layer when [crisis] semantic_layer is on and the model is installed)",
        )
        layers.add_argument(
            "--semantic",
            action="store_true",
            help="require the semantic layer: fail if it cannot load, whatever the config says",
        )
    sub.add_parser(
        "status", parents=[common], help="health report read from the database file (offline)"
    )
    keys = sub.add_parser("keys", parents=[common], help="secret key maintenance")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    keys_sub.add_parser(
        "rotate",
        parents=[common],
        help="re-encrypt everything under a new key, resumable (stop the bot first)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        return fail(str(exc))
    secrets = [settings.discord.token.get_secret_value()] if settings.discord.token else []
    setup_logging(settings.logging.level, settings.logging.discord_level, secrets)
    if args.command == "run":
        return run_bot(settings, args.config)
    if args.command == "check-config":
        return check_config(settings, args.config)
    if args.command == "db":
        if args.db_command == "upgrade":
            return asyncio.run(db_upgrade(settings))
        return db_backup(settings, args.path)
    if args.command == "eval":
        from bot.safety.evaluation import run_eval

        return run_eval(args.file, args.json, semantic=_semantic_mode(args, settings))
    if args.command == "status":
        from bot.status import run_status

        return run_status(settings, sys.stdout)
    if args.command == "keys":
        from bot.privacy.rotation import run_keys_rotate

        return run_keys_rotate(settings, sys.stdout)
    if args.command == "scan":
        from bot.safety.evaluation import run_scan

        return run_scan(args.text, semantic=_semantic_mode(args, settings))
    return fail(f"unknown command {args.command}")


def _semantic_mode(args: argparse.Namespace, settings: Settings) -> SemanticMode:
    """eval and scan measure what the bot does: the semantic layer follows the config."""
    if args.semantic:
        return "required"
    if args.rules_only or not settings.crisis.semantic_layer:
        return "off"
    return "auto"


def check_config(settings: Settings, path: Path) -> int:
    source = str(path) if path.exists() else f"defaults (no {path}) + environment"
    say(f"configuration OK ({source})")
    dumped = settings.model_dump(mode="json")
    for section, values in dumped.items():
        if section == "guilds":
            continue
        say(f"[{section}]")
        for key, value in values.items():
            say(f"  {key} = {value}")
    say(f"token: {'set (hidden)' if settings.discord.token else 'MISSING (needed for run)'}")
    say(f"guilds seeded from config: {len(settings.guilds)}")
    for guild_id, seed in settings.guilds.items():
        say(
            f"  {guild_id}: "
            + ", ".join(f"{k}={v}" for k, v in seed.model_dump(exclude_none=True).items())
        )
    return 0


async def db_upgrade(settings: Settings) -> int:
    from bot.db import apply_migrations, open_database
    from bot.db.migrate import MigrationError

    conn = await open_database(settings.database.path)
    try:
        applied = await apply_migrations(conn)
    except MigrationError as exc:
        return fail(str(exc), 1)
    finally:
        await conn.close()
    say("applied: " + ", ".join(applied) if applied else "database already up to date")
    return 0


def db_backup(settings: Settings, target: Path) -> int:
    source = settings.database.path
    if not source.exists():
        return fail(f"no database at {source} (database.path); nothing to back up", 1)
    if target.exists():
        return fail(f"{target} already exists; choose a new file name", 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    # SQLite's online backup API copies a consistent snapshot while the bot keeps writing.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    say(f"backed up {source} to {target}")
    return 0


def run_bot(settings: Settings, config_path: Path) -> int:
    if settings.discord.token is None or not settings.discord.token.get_secret_value().strip():
        return fail(NO_TOKEN.format(config=config_path))
    import discord

    from bot.app import HavenBot

    async def runner() -> None:
        async with HavenBot(settings) as bot:
            # systemd / docker stop send SIGTERM: close in order (scheduler, workers, DB).
            loop = asyncio.get_running_loop()
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(bot.close()))
            await bot.start(settings.discord.token.get_secret_value())  # type: ignore[union-attr]
            await bot.close()  # returns once a signal-started shutdown has fully finished

    try:
        asyncio.run(runner())
    except discord.LoginFailure:
        return fail(
            "Discord rejected the token. Reset it in the developer portal and set it again."
        )
    except discord.PrivilegedIntentsRequired:
        return fail(
            "the Message Content intent is not enabled. Developer portal → your application → "
            "Bot → Privileged Gateway Intents → enable MESSAGE CONTENT INTENT, then start again."
        )
    except KeyboardInterrupt:
        log.info("stopped")
    return 0


def entry() -> None:
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. `haven check-config | head`
        sys.exit(0)


if __name__ == "__main__":
    entry()
