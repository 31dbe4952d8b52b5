-- Crisis escalation (issue 4). Written only by bot/escalation/repository.py and
-- bot/safety/helplines.py (member_country). Times are integer epoch seconds (UTC).

-- One row per person-in-crisis episode. The row is the durable intent: it is committed
-- before any DM or alert is sent, and recovery sends whatever has no delivery record yet.
CREATE TABLE IF NOT EXISTS escalations (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    channel_id        INTEGER,                 -- where the text was written (NULL: check-in note…)
    message_id        INTEGER,
    user_id           INTEGER,                 -- NULL when pseudonymous (vents): never stored
    pseudonym         TEXT,                    -- shown instead of the person when set
    source            TEXT    NOT NULL,        -- message | dm | report | checkin | vent | …
    source_ref        TEXT,                    -- the source feature's own id (e.g. vent id)
    category          TEXT    NOT NULL,        -- self_risk | concern_for_other
    severity          INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 3),
    reasons           TEXT    NOT NULL DEFAULT '[]',   -- JSON list of rule ids
    excerpt           TEXT,                    -- short excerpt for the moderator alert
    reporter_id       INTEGER,                 -- 'Report concern' by another member
    state             TEXT    NOT NULL DEFAULT 'open'
                      CHECK (state IN ('open', 'acknowledged', 'claimed', 'resolved', 'false_alarm')),
    message_count     INTEGER NOT NULL DEFAULT 1,
    dm_wanted         INTEGER NOT NULL DEFAULT 1,  -- 0 for 'Report concern' (never DM the target)
    created_at        INTEGER NOT NULL,
    last_seen_at      INTEGER NOT NULL,
    acknowledged_at   INTEGER,                 -- first moderator response of any kind
    acknowledged_by   INTEGER,
    claimed_at        INTEGER,
    claimed_by        INTEGER,
    closed_at         INTEGER,                 -- resolved or false alarm
    closed_by         INTEGER,
    close_note        TEXT,
    last_pinged_at    INTEGER                  -- last moderator ping (initial alert or re-ping)
);
CREATE INDEX IF NOT EXISTS escalations_open
    ON escalations (guild_id, state, created_at);
CREATE INDEX IF NOT EXISTS escalations_person
    ON escalations (guild_id, user_id, state);
CREATE INDEX IF NOT EXISTS escalations_pseudonym
    ON escalations (guild_id, pseudonym, state) WHERE pseudonym IS NOT NULL;

-- Every state change: who, when, from, to, note.
CREATE TABLE IF NOT EXISTS escalation_audit (
    id            INTEGER PRIMARY KEY,
    escalation_id INTEGER NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    actor_id      INTEGER,                     -- NULL = the bot itself
    action        TEXT    NOT NULL,            -- open | merge | acknowledge | claim | resolve | false_alarm
    from_state    TEXT,
    to_state      TEXT    NOT NULL,
    note          TEXT,
    at            INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS escalation_audit_escalation ON escalation_audit (escalation_id, id);

-- Outcome of each delivery step. Absence of a record = not sent yet (recovery sends it).
CREATE TABLE IF NOT EXISTS escalation_deliveries (
    id            INTEGER PRIMARY KEY,
    escalation_id INTEGER NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    step          TEXT    NOT NULL,            -- dm | alert | reping | backup | page | ping
    status        TEXT    NOT NULL CHECK (status IN ('sent', 'failed')),
    channel_id    INTEGER,
    message_id    INTEGER,
    detail        TEXT,                        -- e.g. 'dm_closed', 'no_alert_channel'
    at            INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS escalation_deliveries_step
    ON escalation_deliveries (escalation_id, step);

-- False alarms with the detector's reasons, so admins can see what to allow-list.
CREATE TABLE IF NOT EXISTS escalation_false_alarms (
    id            INTEGER PRIMARY KEY,
    escalation_id INTEGER NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    guild_id      INTEGER NOT NULL,
    reasons       TEXT    NOT NULL DEFAULT '[]',
    note          TEXT,
    marked_by     INTEGER,
    at            INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS escalation_false_alarms_guild ON escalation_false_alarms (guild_id, at);

-- 'Report concern' uses, for per-reporter and per-target rate limits.
CREATE TABLE IF NOT EXISTS concern_reports (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    reporter_id   INTEGER NOT NULL,
    target_id     INTEGER NOT NULL,
    escalation_id INTEGER REFERENCES escalations (id) ON DELETE SET NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS concern_reports_reporter ON concern_reports (guild_id, reporter_id, at);
CREATE INDEX IF NOT EXISTS concern_reports_target ON concern_reports (guild_id, target_id, at);

-- Per-guild phrases the crisis detector must not flag (passed to assess(allow=...)).
CREATE TABLE IF NOT EXISTS crisis_allowlist (
    guild_id   INTEGER NOT NULL,
    phrase     TEXT    NOT NULL,
    added_by   INTEGER,
    at         INTEGER NOT NULL,
    PRIMARY KEY (guild_id, phrase)
);

-- Harassment seen by the crisis detector (death wishes at others): ids and reasons only,
-- handed to the moderation action ladder. Never treated as the target's crisis.
CREATE TABLE IF NOT EXISTS harassment_log (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER,
    message_id INTEGER,
    author_id  INTEGER NOT NULL,
    severity   INTEGER NOT NULL,
    reasons    TEXT    NOT NULL DEFAULT '[]',
    at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS harassment_log_guild ON harassment_log (guild_id, at);

-- A member's own country for helplines (/settings country); overrides the guild default.
CREATE TABLE IF NOT EXISTS member_country (
    user_id    INTEGER PRIMARY KEY,
    country    TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);
