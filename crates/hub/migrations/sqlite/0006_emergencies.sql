-- Responder safety: the emergency button. One row an emergency, kept once ended; at most one
-- active emergency a unit (a second press while one is active is the same emergency).

ALTER TABLE agencies ADD COLUMN emergency_phone TEXT NOT NULL DEFAULT '';

CREATE TABLE emergencies (
    id                  INTEGER PRIMARY KEY,
    agency_id           INTEGER NOT NULL REFERENCES agencies(id),
    unit_id             INTEGER NOT NULL REFERENCES units(id),
    user_id             INTEGER NOT NULL REFERENCES users(id),
    raised_by           TEXT NOT NULL,
    incident_id         INTEGER REFERENCES incidents(id),
    -- The outbox entry that raised it.
    entry_id            TEXT NOT NULL UNIQUE,
    pressed_at          INTEGER NOT NULL,
    received_at         INTEGER NOT NULL,
    latitude            REAL,
    longitude           REAL,
    accuracy_m          REAL,
    acknowledged_by_id  INTEGER REFERENCES users(id),
    acknowledged_by     TEXT,
    acknowledged_at     INTEGER,
    ended_by_id         INTEGER REFERENCES users(id),
    ended_by            TEXT,
    ended_at            INTEGER,
    end_reason          TEXT
);
CREATE UNIQUE INDEX emergencies_one_active_per_unit ON emergencies (unit_id) WHERE ended_at IS NULL;
CREATE INDEX emergencies_agency ON emergencies (agency_id, id);
