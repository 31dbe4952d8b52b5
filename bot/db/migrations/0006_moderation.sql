-- Toxicity auto-moderation: per-guild settings, the moderation log, strikes.
-- No message text is stored anywhere here: the log keeps ids and model scores only.

CREATE TABLE IF NOT EXISTS moderation_settings (
    guild_id              INTEGER PRIMARY KEY,
    enabled               INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    log_channel_id        INTEGER,
    action                TEXT    NOT NULL DEFAULT 'log'
                                  CHECK (action IN ('log', 'hide', 'timeout')),
    strict_action         TEXT    NOT NULL DEFAULT 'log'
                                  CHECK (strict_action IN ('log', 'hide', 'timeout')),
    thresholds            TEXT    NOT NULL DEFAULT '{}',  -- JSON label -> score|null (overrides)
    strict_thresholds     TEXT    NOT NULL DEFAULT '{}',  -- same, for vent threads and replies
    strike_limit          INTEGER NOT NULL DEFAULT 3 CHECK (strike_limit >= 1),
    strike_window_minutes INTEGER NOT NULL DEFAULT 1440 CHECK (strike_window_minutes >= 1),
    timeout_minutes       INTEGER NOT NULL DEFAULT 60
                                  CHECK (timeout_minutes BETWEEN 1 AND 40320),
    exempt_role_ids       TEXT    NOT NULL DEFAULT '[]',  -- JSON list of role ids
    exempt_channel_ids    TEXT    NOT NULL DEFAULT '[]',  -- JSON list of channel/category ids
    updated_at            TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE IF NOT EXISTS moderation_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    message_id      INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    profile         TEXT    NOT NULL CHECK (profile IN ('normal', 'strict')),
    action          TEXT    NOT NULL CHECK (action IN ('log', 'hide', 'timeout')),
    labels          TEXT    NOT NULL DEFAULT '[]',  -- JSON list of labels over threshold
    scores          TEXT    NOT NULL DEFAULT '{}',  -- JSON label -> score
    strikes         INTEGER NOT NULL DEFAULT 1,     -- strikes in the window, this one included
    status          TEXT    NOT NULL DEFAULT 'open'
                            CHECK (status IN ('open', 'deleted', 'timed_out', 'dismissed')),
    log_message_id  INTEGER,                        -- the embed in the log channel
    moderator_id    INTEGER,
    resolved_at     TEXT,
    created_at      TEXT    NOT NULL,
    UNIQUE (guild_id, message_id)
);
CREATE INDEX IF NOT EXISTS moderation_log_guild_created ON moderation_log (guild_id, created_at);
CREATE INDEX IF NOT EXISTS moderation_log_user ON moderation_log (user_id);

CREATE TABLE IF NOT EXISTS moderation_strikes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    log_id      INTEGER REFERENCES moderation_log (id) ON DELETE CASCADE,
    created_at  TEXT    NOT NULL,
    voided_at   TEXT                                 -- set when a moderator dismisses the entry
);
CREATE INDEX IF NOT EXISTS moderation_strikes_member
    ON moderation_strikes (guild_id, user_id, created_at);
