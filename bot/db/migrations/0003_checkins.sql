-- Daily mood check-ins (bot/checkins). Sole writer: bot/checkins/repository.py.

-- One row per person who ever used check-ins: their schedule and preferences.
-- next_run_utc (epoch seconds) is NULL when nothing is scheduled (stopped, can't reach).
CREATE TABLE IF NOT EXISTS checkin_schedules (
    user_id          INTEGER PRIMARY KEY,
    guild_id         INTEGER,                         -- server where they opted in
    local_time       TEXT,                            -- 'HH:MM' in tz
    tz               TEXT    NOT NULL DEFAULT 'UTC',  -- IANA zone name
    days_mask        INTEGER NOT NULL DEFAULT 127,    -- bit i = weekday i (Monday = 0)
    status           TEXT    NOT NULL DEFAULT 'off'
                     CHECK (status IN ('active', 'off', 'unreachable')),
    resume_on        TEXT,                            -- local date 'YYYY-MM-DD': paused before it
    skip_date        TEXT,                            -- local date skipped once
    next_run_utc     INTEGER,
    share_guild_id   INTEGER,                         -- set = opted in to mod heads-ups there
    last_care_utc    INTEGER,                         -- last low-mood care message
    updated_utc      INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE INDEX IF NOT EXISTS checkin_schedules_next_run ON checkin_schedules (next_run_utc);

-- One prompt per person per local date, claimed (inserted) BEFORE the DM is sent: the
-- UNIQUE key is what makes overlapping ticks and restarts send at most one.
CREATE TABLE IF NOT EXISTS checkin_prompts (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL,
    local_date       TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'claimed'
                     CHECK (status IN ('claimed', 'sent', 'failed', 'answered')),
    claimed_utc      INTEGER NOT NULL,
    sent_utc         INTEGER,
    channel_id       INTEGER,
    message_id       INTEGER,
    reminder_due_utc INTEGER,                         -- NULL once reminded, answered or never
    reminded_utc     INTEGER,
    answered_utc     INTEGER,
    UNIQUE (user_id, local_date)
);
CREATE INDEX IF NOT EXISTS checkin_prompts_reminder ON checkin_prompts (reminder_due_utc);

-- The mood log. note is health data: stored for its owner, never logged.
CREATE TABLE IF NOT EXISTS mood_entries (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL,
    mood             INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 5),
    tags             TEXT    NOT NULL DEFAULT '[]',   -- JSON list of tag keys
    note             TEXT,
    local_date       TEXT    NOT NULL,                -- the person's date when logged
    created_utc      INTEGER NOT NULL,
    prompt_id        INTEGER REFERENCES checkin_prompts (id) ON DELETE SET NULL,
    source           TEXT    NOT NULL DEFAULT 'prompt' CHECK (source IN ('prompt', 'now'))
);
CREATE INDEX IF NOT EXISTS mood_entries_user_time ON mood_entries (user_id, created_utc);
CREATE UNIQUE INDEX IF NOT EXISTS mood_entries_prompt ON mood_entries (prompt_id)
    WHERE prompt_id IS NOT NULL;
