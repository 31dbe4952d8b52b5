"""The command line: exit code 2 with one clear line for config problems, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_exits_2_and_says_how_to_get_one(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "HAVEN_DISCORD__TOKEN" in result.stderr and "Reset Token" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_on_a_broken_file_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[moderation]\nthreads = "many"\n')
    result = run_cli("check-config", "--config", "bad.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert "moderation.threads" in result.stderr and "bad.toml:2" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_masks_the_token(tmp_path: Path) -> None:
    result = run_cli(
        "check-config", cwd=tmp_path, env={"HAVEN_DISCORD__TOKEN": "very-secret-token-123"}
    )
    assert result.returncode == 0
    assert "very-secret-token-123" not in result.stdout + result.stderr
    assert "set (hidden)" in result.stdout


def test_every_command_has_help_with_config_option(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["run"],
        ["check-config"],
        ["db", "upgrade"],
        ["db", "backup"],
        ["eval"],
        ["scan"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "--help"])
        assert exit_info.value.code == 0
        assert "--config" in capsys.readouterr().out


def test_db_upgrade_then_backup_copies_rows(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HAVEN_DATABASE__PATH", str(tmp_path / "live.db"))
    monkeypatch.chdir(tmp_path)
    assert main(["db", "upgrade"]) == 0
    with sqlite3.connect(tmp_path / "live.db") as conn:
        conn.execute("INSERT INTO guild_settings (guild_id, country) VALUES (7, 'NZ')")
    assert main(["db", "backup", str(tmp_path / "copy.db")]) == 0
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT country FROM guild_settings WHERE guild_id = 7").fetchone() == (
            "NZ",
        )
    assert main(["db", "backup", str(tmp_path / "copy.db")]) == 1  # never overwrites


@pytest.mark.parametrize(
    ("argv", "config", "expected"),
    [
        ([], "", "auto"),
        (["--rules-only"], "", "off"),
        (["--semantic"], "", "required"),
        ([], "[crisis]\nsemantic_layer = false\n", "off"),
        (["--semantic"], "[crisis]\nsemantic_layer = false\n", "required"),
    ],
)
@pytest.mark.parametrize("command", ["eval", "scan"])
def test_eval_and_scan_measure_the_detector_as_configured(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    argv: list[str],
    config: str,
    expected: str,
) -> None:
    import bot.safety.evaluation as evaluation

    seen: list[str] = []
    monkeypatch.setattr(
        evaluation, "run_eval", lambda *a, semantic, **k: seen.append(semantic) or 0
    )
    monkeypatch.setattr(
        evaluation, "run_scan", lambda *a, semantic, **k: seen.append(semantic) or 0
    )
    (tmp_path / "c.toml").write_text(config)
    target = "set.jsonl" if command == "eval" else "some text"
    assert main([command, target, "--config", str(tmp_path / "c.toml"), *argv]) == 0
    assert seen == [expected]


def test_rules_only_and_semantic_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "x.jsonl", "--rules-only", "--semantic"])
    assert exit_info.value.code == 2
    assert "not allowed with" in capsys.readouterr().err
