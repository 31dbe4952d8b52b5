"""Tip and category models: the one validation used for library files and server tips."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, field_validator

MAX_TITLE = 100
MAX_BODY = 600
MAX_STEP = 200
MAX_STEPS = 10
MAX_TAGS = 12
MAX_TAG = 40
MAX_DURATION = 120

_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_SPACES = re.compile(r"\s+")

Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=MAX_TAG)
]


def _tidy(text: str) -> str:
    """Collapse runs of whitespace (TOML line continuations leave doubles behind)."""
    return _SPACES.sub(" ", text).strip()


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=2, max_length=120)
    url: HttpUrl

    @field_validator("url")
    @classmethod
    def _https(cls, value: HttpUrl) -> HttpUrl:
        if value.scheme != "https":
            raise ValueError("source URL must use https")
        return value


class TipContent(BaseModel):
    """What a person reads. Library tips and server tips share these limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=3, max_length=MAX_TITLE)
    body: str = Field(min_length=20, max_length=MAX_BODY)
    steps: tuple[Annotated[str, Field(min_length=2, max_length=MAX_STEP)], ...] = Field(
        default=(), max_length=MAX_STEPS
    )
    duration_minutes: int = Field(ge=1, le=MAX_DURATION)
    tags: tuple[Tag, ...] = Field(default=(), max_length=MAX_TAGS)

    @field_validator("title", "body", mode="before")
    @classmethod
    def _tidy_text(cls, value: object) -> object:
        return _tidy(value) if isinstance(value, str) else value

    @field_validator("steps", mode="before")
    @classmethod
    def _tidy_steps(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(_tidy(s) if isinstance(s, str) else s for s in value)
        return value

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))


class Tip(TipContent):
    """A tip from the curated library (``origin='library'``) or a guild's own (``'server'``)."""

    id: str = Field(min_length=3, max_length=64, pattern=_ID)
    category: str = Field(pattern=_ID)
    evidence: str = Field(default="", max_length=300)
    source: Source | None = None
    origin: Literal["library", "server"] = "library"
    guild_id: int | None = None

    @property
    def from_server(self) -> bool:
        return self.origin == "server"


class LibraryTip(Tip):
    """Stricter rules for curated tips: evidence base and a reputable source are required."""

    evidence: str = Field(min_length=10, max_length=300)
    source: Source


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=3, max_length=60)
    description: str = Field(min_length=10, max_length=100)
    emoji: str = Field(default="", max_length=8)
    order: int = 100
    # Shown as tip of the day in a public channel? Off for grief and self-harm urges.
    daily: bool = True
