"""Typed settings: ``config.toml`` plus environment overrides (``HAVEN_`` prefix, ``__`` nesting).

Nothing here runs at import time: ``load_settings`` is called by the CLI, so importing
the package never needs a token (python-discord had to fake secrets in CI for that).
Every field has a description; ``config.example.toml`` documents the same keys and a
test checks that the two agree.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.countries import normalise_country

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"


class Section(BaseModel):
    """A config table: unknown keys are errors, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DiscordSettings(Section):
    token: SecretStr | None = Field(
        default=None,
        description="Bot token from the Discord developer portal (Bot → Reset Token). "
        "Prefer the HAVEN_DISCORD__TOKEN environment variable over writing it in a file.",
    )
    api_base_url: str = Field(
        default=DISCORD_API_BASE,
        description="REST API base URL. Change only for a proxy or the test fake Discord.",
    )
    gateway_url: str = Field(
        default=DISCORD_GATEWAY,
        description="Gateway websocket URL. Change only for a proxy or the test fake Discord.",
    )
    sync_commands: bool = Field(
        default=True, description="Sync slash commands with Discord at start-up."
    )
    dev_guild_id: int | None = Field(
        default=None,
        description="If set, slash commands are synced to this one guild (instant) "
        "instead of globally (can take up to an hour to appear).",
    )


class DatabaseSettings(Section):
    path: Path = Field(
        default=Path("data/haven.db"), description="SQLite database file (created if missing)."
    )


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level for Haven's own modules."
    )
    discord_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="WARNING", description="Log level for discord.py (its INFO is noisy)."
    )


class SecuritySettings(Section):
    key_file: Path = Field(
        default=Path("data/haven.key"),
        description="File holding the bot's secret key (generated on first run, mode 0600). "
        "It encrypts vent authors and keys pseudonyms: back it up apart from the database.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="The secret key itself (urlsafe base64, 32 bytes). Overrides key_file; "
        "use HAVEN_SECURITY__SECRET_KEY rather than writing it in a file.",
    )


class CrisisSettings(Section):
    enabled: bool = Field(
        default=True, description="Run the crisis detector on monitored messages."
    )
    scan_direct_messages: bool = Field(
        default=True, description="Also assess messages people send to the bot by DM."
    )
    semantic_layer: bool = Field(
        default=True,
        description="Also run the semantic layer (all-MiniLM-L6-v2 fine-tuned as a crisis "
        "classifier, ~150 MB RAM, a few ms per message in a worker thread) after the rules; "
        "it can only add or raise a crisis, never delay or lower the rule decision. "
        "`python -m bot eval` and `scan` follow this setting.",
    )


class EscalationSettings(Section):
    reping_minutes: int = Field(
        default=5,
        ge=1,
        le=240,
        description="Default minutes before an unacknowledged severity 2-3 alert is re-posted "
        "with a ping (guilds can change theirs with /setup).",
    )
    repeat_window_minutes: int = Field(
        default=30,
        ge=1,
        le=1440,
        description="Messages from the same person within this window update their open "
        "escalation instead of opening a new one.",
    )
    report_cooldown_minutes: int = Field(
        default=60,
        ge=1,
        description="How often one member may use 'Report concern' on the same person.",
    )
    report_daily_limit: int = Field(
        default=5, ge=1, description="How many concern reports one member may file per day."
    )
    report_target_daily_limit: int = Field(
        default=3,
        ge=1,
        description="How many concern reports about the same person are accepted per day, "
        "from everyone together (stops 'Report concern' being used to harass someone).",
    )


class ModerationSettings(Section):
    enabled: bool = Field(default=True, description="Score messages for abuse with Detoxify.")
    model: Literal["original", "unbiased", "multilingual", "original-small", "unbiased-small"] = (
        Field(
            default="unbiased-small",
            description="Detoxify model type (downloaded on first use). Ignored when checkpoint is set.",
        )
    )
    checkpoint: Path | None = Field(
        default=None,
        description="Local Detoxify checkpoint (.ckpt) for offline / air-gapped servers.",
    )
    model_dir: Path | None = Field(
        default=None,
        description="Folder with the Hugging Face config and tokenizer files for checkpoint.",
    )
    device: Literal["cpu", "cuda"] = Field(default="cpu", description="Torch device for the model.")
    threads: int = Field(default=2, ge=1, le=64, description="Torch CPU threads for scoring.")
    quantize: bool = Field(
        default=False,
        description="Dynamic int8 quantization of the model's Linear layers (CPU only): "
        "several times faster than fp32 on the reference machine; scores differ from fp32 "
        "by about 0.01 (see README).",
    )
    batch_size: int = Field(default=32, ge=1, le=256, description="Messages per predict call.")
    batch_window_ms: int = Field(
        default=50, ge=0, le=5_000, description="How long the worker waits to fill a batch."
    )
    queue_max: int = Field(
        default=1_000,
        ge=1,
        description="Unscored messages kept at most; past that the oldest are dropped and counted.",
    )


class CheckinSettings(Section):
    enabled: bool = Field(default=True, description="Send opted-in daily mood check-in DMs.")
    tick_seconds: int = Field(
        default=60, ge=5, le=3_600, description="How often the scheduler looks for due check-ins."
    )
    dm_concurrency: int = Field(
        default=5, ge=1, le=50, description="Check-in DMs sent at once during a busy minute."
    )
    low_mood_count: int = Field(
        default=3, ge=1, description="Lowest-mood check-ins within low_mood_days that trigger care."
    )
    low_mood_days: int = Field(default=5, ge=1, description="Window for low_mood_count, in days.")
    reminder_hours: int = Field(
        default=4,
        ge=0,
        le=12,
        description="Hours after an unanswered prompt to send one gentle reminder (0 = never).",
    )


class VentingSettings(Section):
    max_length: int = Field(
        default=4_000, ge=100, le=4_000, description="Longest vent, in characters."
    )
    cooldown_seconds: int = Field(
        default=120, ge=0, description="Minimum time between two vents by the same person."
    )


class PrivacySettings(Section):
    note_days: int = Field(
        default=365,
        ge=0,
        description="Days before a mood note's text is deleted (the mood itself stays); 0 keeps it.",
    )
    resolved_escalation_days: int = Field(
        default=90,
        ge=0,
        description="Days resolved / false-alarm escalations are kept; 0 keeps them.",
    )
    moderation_log_days: int = Field(
        default=90,
        ge=0,
        description="Days the auto-moderation log and strikes are kept; 0 keeps them.",
    )
    harassment_log_days: int = Field(
        default=90, ge=0, description="Days harassment-log entries are kept; 0 keeps them."
    )
    vent_days: int = Field(
        default=365,
        ge=0,
        description="Days vent records (the sealed author link) are kept; the public post stays.",
    )
    concern_report_days: int = Field(
        default=30, ge=0, description="Days 'Report concern' rate-limit records are kept."
    )
    guild_grace_days: int = Field(
        default=30,
        ge=0,
        description="Days a server's data is kept after it removes Haven (re-adding cancels the purge).",
    )


class GuildSeed(Section):
    """``[guilds.<guild_id>]``: per-guild settings written to the database at start-up."""

    alert_channel_id: int | None = Field(
        default=None, description="Private moderator alert channel."
    )
    moderator_role_id: int | None = Field(
        default=None, description="Role pinged for urgent alerts."
    )
    vent_channel_id: int | None = Field(default=None, description="Channel where vents are posted.")
    monitored_channel_ids: list[int] | None = Field(
        default=None,
        description="Channels the crisis detector and auto-moderation read; [] = every "
        "text channel the bot can read.",
    )
    country: str | None = Field(
        default=None, description="ISO 3166 alpha-2 code for the guild's default helplines."
    )

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = normalise_country(value)
        if code is None:
            raise ValueError("must be a two-letter ISO 3166 code such as 'GB' or 'US'")
        return code


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HAVEN_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    discord: DiscordSettings = Field(
        default_factory=DiscordSettings, description="Discord connection."
    )
    database: DatabaseSettings = Field(default_factory=DatabaseSettings, description="Storage.")
    logging: LoggingSettings = Field(default_factory=LoggingSettings, description="Logging.")
    security: SecuritySettings = Field(default_factory=SecuritySettings, description="Keys.")
    crisis: CrisisSettings = Field(default_factory=CrisisSettings, description="Crisis detector.")
    escalation: EscalationSettings = Field(
        default_factory=EscalationSettings, description="Crisis escalation."
    )
    moderation: ModerationSettings = Field(
        default_factory=ModerationSettings, description="Toxicity auto-moderation."
    )
    checkins: CheckinSettings = Field(
        default_factory=CheckinSettings, description="Mood check-ins."
    )
    venting: VentingSettings = Field(
        default_factory=VentingSettings, description="Anonymous venting."
    )
    privacy: PrivacySettings = Field(
        default_factory=PrivacySettings, description="Data retention and purges."
    )
    guilds: dict[int, GuildSeed] = Field(
        default_factory=dict, description="Per-guild settings seeded into the database."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file: the TOML arrives as init kwargs from load_settings.
        return (env_settings, init_settings)


class ConfigError(Exception):
    """A configuration problem, worded for the person running the bot (no traceback)."""


def load_settings(path: Path | str = "config.toml", *, require_file: bool = False) -> Settings:
    """Read ``path`` (if it exists) and the environment into ``Settings``.

    A missing default ``config.toml`` is fine: defaults (the values in
    ``config.example.toml``) plus environment apply. Raises ``ConfigError`` with one
    readable message for malformed TOML, unknown keys and wrong types.
    """
    file = Path(path)
    data: dict[str, Any] = {}
    text = ""
    if file.exists():
        text = file.read_text("utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"{file}: malformed TOML: {exc}. Fix that line (strings need quotes, "
                "tables look like [discord])."
            ) from None
    elif require_file:
        raise ConfigError(f"{file}: no such file. Copy config.example.toml to {file} and edit it.")
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, file, text)) from None


def describe_validation_error(exc: ValidationError, file: Path, text: str) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        where = _line_of(text, error["loc"])
        env_name = "HAVEN_" + "__".join(str(p).upper() for p in error["loc"])
        location = f"{file}:{where}" if where else f"{file} or environment"
        if error["type"] == "extra_forbidden":
            fix = _known_keys_hint(error["loc"])
            lines.append(f"{location}: unknown key '{key}'. Remove it or fix the spelling; {fix}")
        else:
            lines.append(
                f"{location}: '{key}': {error['msg']} (got {error.get('input')!r}). "
                f"Fix it in the file or in the {env_name} environment variable."
            )
    return "invalid configuration:\n  " + "\n  ".join(lines)


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line number of the last key of ``loc`` in the TOML text."""
    if not text or not loc:
        return None
    leaf = str(loc[-1])
    pattern = re.compile(rf"^\s*[\"']?{re.escape(leaf)}[\"']?\s*=", re.MULTILINE)
    match = pattern.search(text)
    if not match:
        return None
    return text.count("\n", 0, match.start()) + 1


def _known_keys_hint(loc: tuple[Any, ...]) -> str:
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None:
            if model is Settings:
                break
            # inside guilds.<id>
            model = GuildSeed
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        elif str(part) == "guilds":
            model = GuildSeed
    return "valid keys here: " + ", ".join(sorted(model.model_fields))
