-- A status event's entry id is no longer an index of its own. `processed_entries` already
-- holds every entry's id, looked up before anything applies (0003), so the second index on
-- a random key only made each status write one more page at commit. SQLite cannot drop a
-- column's UNIQUE, so the table is built again, rows and ids as they were.
CREATE TABLE status_events_new (
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
    entry_id       TEXT,
    -- 'applied', or 'rejected' with the reason the responder is shown.
    outcome        TEXT NOT NULL CHECK (outcome IN ('applied', 'rejected')),
    reason         TEXT
);
INSERT INTO status_events_new
    (id, agency_id, unit_id, incident_id, status, at, received_at, latitude, longitude,
     accuracy_m, entry_id, outcome, reason)
SELECT id, agency_id, unit_id, incident_id, status, at, received_at, latitude, longitude,
       accuracy_m, entry_id, outcome, reason
FROM status_events;
DROP TABLE status_events;
ALTER TABLE status_events_new RENAME TO status_events;
CREATE INDEX status_events_unit ON status_events (unit_id, at);
