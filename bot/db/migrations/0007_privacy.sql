-- Data rights, retention and health (issue 9). Written only by bot/privacy.

-- Guilds the bot was removed from: their data is purged after a grace period unless
-- the bot is added back first (then the row is deleted). Epoch seconds.
CREATE TABLE IF NOT EXISTS guild_departures (
    guild_id INTEGER PRIMARY KEY,
    left_at  INTEGER NOT NULL
);

-- Last run of each background job (scheduler heartbeat, retention, guild purge) with
-- counts only, never content; read by /setup status and `python -m bot status`.
CREATE TABLE IF NOT EXISTS job_runs (
    name        TEXT    PRIMARY KEY,
    last_run_at INTEGER NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '{}'   -- JSON object of counts
);

-- Resumable key rotation: how far each encrypted column has been re-sealed under the
-- key named by key_id (rows with id <= last_id are done).
CREATE TABLE IF NOT EXISTS key_rotation_progress (
    column_name TEXT    PRIMARY KEY,            -- 'table.column'
    key_id      TEXT    NOT NULL,
    last_id     INTEGER NOT NULL DEFAULT 0,
    done        INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);
