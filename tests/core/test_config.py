"""Settings: file + environment, clear errors that name the key and the fix."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.config import ConfigError, GuildSeed, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, "utf-8")
    return path


def test_missing_default_file_means_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "config.toml")
    assert settings.moderation.model == "unbiased-small"
    assert settings.discord.token is None


def test_environment_overrides_file_with_nested_names(tmp_path: Path, monkeypatch) -> None:
    path = write(
        tmp_path, '[discord]\napi_base_url = "http://file"\n[database]\npath = "file.db"\n'
    )
    monkeypatch.setenv("HAVEN_DISCORD__API_BASE_URL", "http://env")
    monkeypatch.setenv("HAVEN_DISCORD__TOKEN", "secret-token-value")
    settings = load_settings(path)
    assert settings.discord.api_base_url == "http://env"
    assert settings.database.path == Path("file.db")
    assert settings.discord.token is not None
    assert "secret-token-value" not in repr(settings)
    assert settings.discord.token.get_secret_value() == "secret-token-value"


def test_unknown_key_names_the_key_line_and_valid_keys(tmp_path: Path) -> None:
    path = write(tmp_path, '[discord]\nsync_commands = true\ntokn = "x"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert "discord.tokn" in message and f"{path}:3" in message
    assert "token" in message  # the valid keys are listed


def test_wrong_type_names_key_and_env_variable(tmp_path: Path) -> None:
    path = write(tmp_path, '[escalation]\nreping_minutes = "soon"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "escalation.reping_minutes" in str(info.value)
    assert "HAVEN_ESCALATION__REPING_MINUTES" in str(info.value)


def test_malformed_toml_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[database\npath = 1\n")
    with pytest.raises(ConfigError, match=r"malformed TOML.*line 1"):
        load_settings(path)


def test_guild_seeds_validate_country_and_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[guilds.111]\nalert_channel_id = 222\ncountry = "gb"\nmonitored_channel_ids = [1, 2]\n',
    )
    settings = load_settings(path)
    assert settings.guilds[111] == GuildSeed(
        alert_channel_id=222, country="GB", monitored_channel_ids=[1, 2]
    )
    bad = write(tmp_path, '[guilds.111]\ncountry = "Atlantis"\n')
    with pytest.raises(ConfigError, match=r"guilds\.111\.country"):
        load_settings(bad)


def test_example_config_validates_and_equals_the_defaults() -> None:
    example = ROOT / "config.example.toml"
    assert load_settings(example).model_dump() == Settings().model_dump()


def test_example_config_documents_every_key() -> None:
    text = (ROOT / "config.example.toml").read_text("utf-8")
    tomllib.loads(text)
    for section, field in Settings.model_fields.items():
        assert field.description, section
        if section == "guilds":
            keys = GuildSeed.model_fields
        else:
            assert f"[{section}]" in text, section
            keys = field.annotation.model_fields  # type: ignore[union-attr]
        for key, sub in keys.items():
            assert sub.description, f"{section}.{key} has no description"
            assert f"{key} =" in text, f"{section}.{key} is not in config.example.toml"
