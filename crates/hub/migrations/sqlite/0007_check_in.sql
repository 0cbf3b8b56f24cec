-- Check-in (PAR / welfare) timers. An agency times statuses on a call (optionally only for
-- calls of one priority); while a unit is in a timed status it must check in every
-- interval. The hub keeps the due time on the unit, recomputed by the trigger below whenever
-- the status, its time, the call or the last check-in changes, so no code path that moves a
-- unit can forget it. The board reads the due time against the hub's clock.

CREATE TABLE check_in_rules (
    agency_id   INTEGER NOT NULL REFERENCES agencies(id),
    status      TEXT NOT NULL,
    -- NULL: calls of any priority (a rule for the call's own priority wins).
    priority    INTEGER CHECK (priority BETWEEN 1 AND 5),
    interval_s  INTEGER NOT NULL CHECK (interval_s > 0),
    warning_s   INTEGER NOT NULL CHECK (warning_s >= 0 AND warning_s < interval_s)
);
CREATE UNIQUE INDEX check_in_rules_key ON check_in_rules (agency_id, status, COALESCE(priority, 0));

ALTER TABLE units ADD COLUMN last_check_in_at INTEGER;
ALTER TABLE units ADD COLUMN check_in_due_at INTEGER;
ALTER TABLE units ADD COLUMN check_in_warn_at INTEGER;

CREATE TRIGGER units_check_in_due
AFTER UPDATE OF status, status_at, incident_id, last_check_in_at ON units
BEGIN
    UPDATE units SET
        check_in_due_at = (
            SELECT MAX(NEW.status_at, COALESCE(NEW.last_check_in_at, 0)) + r.interval_s * 1000
            FROM check_in_rules r LEFT JOIN incidents i ON i.id = NEW.incident_id
            WHERE r.agency_id = NEW.agency_id AND r.status = NEW.status
              AND (r.priority IS NULL OR r.priority = i.priority)
            ORDER BY r.priority IS NULL LIMIT 1),
        check_in_warn_at = (
            SELECT MAX(NEW.status_at, COALESCE(NEW.last_check_in_at, 0))
                   + (r.interval_s - r.warning_s) * 1000
            FROM check_in_rules r LEFT JOIN incidents i ON i.id = NEW.incident_id
            WHERE r.agency_id = NEW.agency_id AND r.status = NEW.status
              AND (r.priority IS NULL OR r.priority = i.priority)
            ORDER BY r.priority IS NULL LIMIT 1)
    WHERE id = NEW.id;
END;
