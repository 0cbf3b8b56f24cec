-- Administration: accounts that can be disabled and given a temporary password, units that
-- retire, the agency's incident natures, and an append-only audit log.

ALTER TABLE users ADD COLUMN disabled_at INTEGER;
-- 1 while the user holds a temporary password set by an administrator.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- Retired units stay for the history and are no longer offered for a shift.
ALTER TABLE units ADD COLUMN retired_at INTEGER;

CREATE TABLE natures (
    agency_id         INTEGER NOT NULL REFERENCES agencies(id),
    code              TEXT NOT NULL,
    text              TEXT NOT NULL,
    default_priority  INTEGER NOT NULL CHECK (default_priority BETWEEN 1 AND 5),
    PRIMARY KEY (agency_id, code)
);

-- Who did what, when, from which address. Rows are only ever added.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    agency_id   INTEGER NOT NULL REFERENCES agencies(id),
    at          INTEGER NOT NULL,
    actor_id    INTEGER REFERENCES users(id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    address     TEXT
);
CREATE INDEX audit_log_agency ON audit_log (agency_id, id);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
