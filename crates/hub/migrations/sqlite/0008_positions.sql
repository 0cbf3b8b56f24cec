-- Where units are: the newest position a unit's device sent (with a status, an emergency
-- press or on its own while an emergency is active), and a trail of positions. The trail
-- of an emergency is kept with its record for good; other positions only as a short trail
-- per unit.

ALTER TABLE units ADD COLUMN latitude REAL;
ALTER TABLE units ADD COLUMN longitude REAL;
ALTER TABLE units ADD COLUMN accuracy_m REAL;
-- The device's time of that position; an older one arriving late does not replace it.
ALTER TABLE units ADD COLUMN position_at INTEGER;

CREATE TABLE positions (
    id            INTEGER PRIMARY KEY,
    agency_id     INTEGER NOT NULL REFERENCES agencies(id),
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    -- The emergency that was active for the unit when it arrived, if any.
    emergency_id  INTEGER REFERENCES emergencies(id),
    at            INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    latitude      REAL NOT NULL,
    longitude     REAL NOT NULL,
    accuracy_m    REAL
);
CREATE INDEX positions_unit ON positions (unit_id, id);
CREATE INDEX positions_emergency ON positions (emergency_id, at) WHERE emergency_id IS NOT NULL;
