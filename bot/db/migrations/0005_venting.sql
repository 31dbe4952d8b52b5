-- Anonymous venting (issue 8). No column holds a user id, a name or vent text in the clear:
-- authors are AES-GCM tokens ('hv1.<key id>.<base64>'), posters are keyed HMACs.

-- One row per vent. The text is in Discord; it is kept here (encrypted) only while a
-- moderator has still to approve it, and wiped once decided.
CREATE TABLE IF NOT EXISTS vents (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    pseudonym        TEXT    NOT NULL,
    author_enc       TEXT    NOT NULL,          -- encrypted author id (context: guild)
    state            TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'held', 'posted', 'rejected', 'deleted', 'failed')),
    crisis_severity  INTEGER NOT NULL DEFAULT 0, -- 0 = not assessed as self-risk
    content_warning  INTEGER NOT NULL DEFAULT 0, -- 1 = posted behind a spoiler
    body_enc         TEXT,                      -- encrypted {text, topic} while held, else NULL
    channel_id       INTEGER,                   -- vent channel of the public post
    message_id       INTEGER,                   -- the public post
    thread_id        INTEGER,                   -- its reply thread
    queue_message_id INTEGER,                   -- the vetting-queue message (alert channel)
    alert_message_id INTEGER,                   -- the crisis alert (alert channel)
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    decided_at       TEXT,
    decided_by       INTEGER                    -- moderator who approved / rejected / deleted
);
CREATE INDEX IF NOT EXISTS vents_message ON vents (message_id);
CREATE INDEX IF NOT EXISTS vents_guild_state ON vents (guild_id, state);

-- The identity epoch behind each poster's current pseudonym (/vent new-name bumps it).
CREATE TABLE IF NOT EXISTS vent_identities (
    guild_id   INTEGER NOT NULL,
    poster_key TEXT    NOT NULL,                -- HMAC(guild, user), no epoch
    epoch      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, poster_key)
);

-- Blocked posters, keyed without the epoch so a new name never lifts a block.
CREATE TABLE IF NOT EXISTS vent_bans (
    guild_id   INTEGER NOT NULL,
    poster_key TEXT    NOT NULL,
    vent_id    INTEGER,                         -- the vent the block was made from
    banned_by  INTEGER NOT NULL,                -- moderator id (moderators are not anonymous)
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (guild_id, poster_key)
);

-- A pending unmask needs a second, different moderator to confirm.
CREATE TABLE IF NOT EXISTS vent_unmask_requests (
    vent_id      INTEGER PRIMARY KEY REFERENCES vents (id) ON DELETE CASCADE,
    guild_id     INTEGER NOT NULL,
    requested_by INTEGER NOT NULL,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- What moderators did to vents (never the text, never the author).
CREATE TABLE IF NOT EXISTS vent_audit (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    vent_id      INTEGER,
    action       TEXT    NOT NULL,  -- approve, reject, delete, block, unblock, relay_out, relay_in,
                                    -- unmask_request, unmask
    moderator_id INTEGER,
    second_moderator_id INTEGER,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS vent_audit_guild ON vent_audit (guild_id, created_at);
