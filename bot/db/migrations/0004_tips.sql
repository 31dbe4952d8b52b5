-- Coping tips (issue 7). Written only by bot/tips/repository.py.

-- Tips a member saved for later; tip_id is a library id or 'server-<n>'.
CREATE TABLE IF NOT EXISTS saved_tips (
    user_id  INTEGER NOT NULL,
    tip_id   TEXT    NOT NULL,
    saved_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (user_id, tip_id)
);
CREATE INDEX IF NOT EXISTS saved_tips_tip ON saved_tips (tip_id);

-- A guild's own tips, written by its moderators; same limits as the library.
CREATE TABLE IF NOT EXISTS server_tips (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    category         TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    steps            TEXT    NOT NULL DEFAULT '[]',   -- JSON list of strings
    tags             TEXT    NOT NULL DEFAULT '[]',   -- JSON list of strings
    duration_minutes INTEGER NOT NULL,
    source_name      TEXT,
    source_url       TEXT,
    created_by       INTEGER,
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX IF NOT EXISTS server_tips_title ON server_tips (guild_id, title COLLATE NOCASE);

-- Tip of the day: one row per guild that turned it on. next_run_utc is indexed so the
-- once-a-minute tick only reads due rows.
CREATE TABLE IF NOT EXISTS daily_tip_settings (
    guild_id     INTEGER PRIMARY KEY,
    channel_id   INTEGER NOT NULL,
    local_time   TEXT    NOT NULL,                    -- 'HH:MM' on the guild's clock
    timezone     TEXT    NOT NULL DEFAULT 'UTC',      -- IANA name
    next_run_utc TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS daily_tip_due ON daily_tip_settings (next_run_utc);

-- What was posted, so a tip does not come back within 30 days.
CREATE TABLE IF NOT EXISTS daily_tip_history (
    guild_id INTEGER NOT NULL,
    day      TEXT    NOT NULL,                        -- local date 'YYYY-MM-DD'
    tip_id   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, day)
);
