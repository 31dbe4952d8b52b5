-- Per-guild configuration, written by /setup and by [guilds.<id>] seeding.
CREATE TABLE IF NOT EXISTS guild_settings (
    guild_id              INTEGER PRIMARY KEY,
    alert_channel_id      INTEGER,
    moderator_role_id     INTEGER,
    vent_channel_id       INTEGER,
    monitored_channel_ids TEXT    NOT NULL DEFAULT '[]',  -- JSON list; [] = every readable channel
    country               TEXT,                           -- ISO 3166 alpha-2
    extra                 TEXT    NOT NULL DEFAULT '{}',  -- JSON object for feature settings
    updated_at            TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Things to tell a person the next time they use any Haven command, because a DM to
-- them failed (closed DMs, blocked bot). Shown once, then deleted.
CREATE TABLE IF NOT EXISTS pending_notices (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,   -- e.g. 'crisis_resources', 'checkin_dm_closed'
    guild_id   INTEGER,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (user_id, kind)
);
CREATE INDEX IF NOT EXISTS pending_notices_user ON pending_notices (user_id);
