-- Accounts, units, incidents, the field's append-only records, device sync state and the
-- change log that numbers every committed change per agency. Times are Unix milliseconds.

ALTER TABLE agencies ADD COLUMN last_cursor INTEGER NOT NULL DEFAULT 0;

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    agency_id      INTEGER NOT NULL REFERENCES agencies(id),
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('responder', 'dispatcher', 'admin')),
    password_hash  TEXT NOT NULL
);

CREATE TABLE units (
    id             INTEGER PRIMARY KEY,
    agency_id      INTEGER NOT NULL REFERENCES agencies(id),
    callsign       TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('police', 'ems', 'fire')),
    status         TEXT NOT NULL DEFAULT 'available',
    incident_id    INTEGER REFERENCES incidents(id),
    status_at      INTEGER NOT NULL,
    last_heard_at  INTEGER,
    UNIQUE (agency_id, callsign)
);

-- Only a hash of each token is kept: a copy of the database signs nobody in.
CREATE TABLE sessions (
    token_hash     BLOB PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    agency_id      INTEGER NOT NULL REFERENCES agencies(id),
    unit_id        INTEGER REFERENCES units(id),
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER
);

CREATE TABLE incidents (
    id             INTEGER PRIMARY KEY,
    agency_id      INTEGER NOT NULL REFERENCES agencies(id),
    number         TEXT NOT NULL,
    nature_code    TEXT NOT NULL,
    nature_text    TEXT NOT NULL,
    priority       INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
    address        TEXT NOT NULL,
    latitude       REAL,
    longitude      REAL,
    caller_name    TEXT NOT NULL DEFAULT '',
    callback       TEXT NOT NULL DEFAULT '',
    cautions       TEXT NOT NULL DEFAULT '[]',
    state          TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'closed', 'cancelled')),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (agency_id, number)
);

CREATE TABLE notes (
    id             INTEGER PRIMARY KEY,
    agency_id      INTEGER NOT NULL REFERENCES agencies(id),
    incident_id    INTEGER NOT NULL REFERENCES incidents(id),
    source         TEXT NOT NULL CHECK (source IN ('caller', 'dispatch', 'field')),
    author         TEXT NOT NULL,
    unit_id        INTEGER REFERENCES units(id),
    text           TEXT NOT NULL,
    at             INTEGER NOT NULL,
    received_at    INTEGER NOT NULL,
    entry_id       TEXT UNIQUE
);
CREATE INDEX notes_incident ON notes (incident_id, at);

CREATE TABLE assignments (
    id               INTEGER PRIMARY KEY,
    agency_id        INTEGER NOT NULL REFERENCES agencies(id),
    incident_id      INTEGER NOT NULL REFERENCES incidents(id),
    unit_id          INTEGER NOT NULL REFERENCES units(id),
    dispatched_at    INTEGER NOT NULL,
    acknowledged_at  INTEGER,
    cleared_at       INTEGER,
    cancelled_at     INTEGER
);
CREATE INDEX assignments_incident ON assignments (incident_id);
CREATE INDEX assignments_unit ON assignments (unit_id);

CREATE TABLE status_events (
    id             INTEGER PRIMARY KEY,
    agency_id      INTEGER NOT NULL REFERENCES agencies(id),
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    incident_id    INTEGER REFERENCES incidents(id),
    status         TEXT NOT NULL,
    at             INTEGER NOT NULL,
    received_at    INTEGER NOT NULL,
    latitude       REAL,
    longitude      REAL,
    accuracy_m     REAL,
    entry_id       TEXT UNIQUE,
    -- 'applied', or 'rejected' with the reason the responder is shown.
    outcome        TEXT NOT NULL CHECK (outcome IN ('applied', 'rejected')),
    reason         TEXT
);
CREATE INDEX status_events_unit ON status_events (unit_id, at);

-- Per device: the last outbox seq applied. Advanced in the same transaction as the effect.
CREATE TABLE devices (
    agency_id      INTEGER NOT NULL REFERENCES agencies(id),
    client_id      TEXT NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    last_seq       INTEGER NOT NULL DEFAULT 0,
    last_seen_at   INTEGER NOT NULL,
    PRIMARY KEY (agency_id, client_id)
);

-- Every outbox entry the hub processed, with its outcome: the audit trail of the field.
CREATE TABLE processed_entries (
    agency_id      INTEGER NOT NULL REFERENCES agencies(id),
    client_id      TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    entry_id       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    at             INTEGER NOT NULL,
    received_at    INTEGER NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('applied', 'rejected')),
    reason         TEXT,
    PRIMARY KEY (agency_id, client_id, seq)
);

-- One row per committed change, numbered per agency. `audience` says who may pull it:
-- 'all' (everyone in the agency), 'dispatch' (dispatchers only) or 'units' (dispatchers and
-- the units listed in `units` as ",3,7,").
CREATE TABLE changes (
    agency_id      INTEGER NOT NULL REFERENCES agencies(id),
    cursor         INTEGER NOT NULL,
    audience       TEXT NOT NULL CHECK (audience IN ('all', 'dispatch', 'units')),
    units          TEXT NOT NULL DEFAULT '',
    body           TEXT NOT NULL,
    PRIMARY KEY (agency_id, cursor)
);
