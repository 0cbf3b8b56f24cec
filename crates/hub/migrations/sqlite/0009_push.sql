-- Web Push: each agency's VAPID key pair (RFC 8292), the devices' subscriptions (one per
-- session) and every delivery attempt.

CREATE TABLE vapid_keys (
    id          INTEGER PRIMARY KEY NOT NULL,
    agency_id   INTEGER NOT NULL REFERENCES agencies(id),
    secret      BLOB NOT NULL,
    -- The uncompressed P-256 point, base64url: what devices subscribe with.
    public_key  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);
CREATE UNIQUE INDEX vapid_keys_current ON vapid_keys (agency_id) WHERE retired_at IS NULL;

CREATE TABLE push_subscriptions (
    id            INTEGER PRIMARY KEY NOT NULL,
    agency_id     INTEGER NOT NULL REFERENCES agencies(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    unit_id       INTEGER REFERENCES units(id),
    -- The session it belongs to: one subscription per session.
    token_hash    BLOB NOT NULL UNIQUE REFERENCES sessions(token_hash),
    endpoint      TEXT NOT NULL,
    p256dh        BLOB NOT NULL,
    auth          BLOB NOT NULL,
    vapid_key_id  INTEGER NOT NULL REFERENCES vapid_keys(id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_unit ON push_subscriptions (unit_id);

CREATE TABLE push_attempts (
    id               INTEGER PRIMARY KEY NOT NULL,
    agency_id        INTEGER NOT NULL,
    -- No reference: the record of an attempt outlives the subscription.
    subscription_id  INTEGER NOT NULL,
    push_service     TEXT NOT NULL,
    kind             TEXT NOT NULL,
    urgency          TEXT NOT NULL,
    topic            TEXT,
    attempt          INTEGER NOT NULL,
    at               INTEGER NOT NULL,
    -- The push service's HTTP status; NULL when it did not answer.
    status           INTEGER,
    latency_ms       INTEGER NOT NULL,
    error            TEXT
);
CREATE INDEX push_attempts_agency ON push_attempts (agency_id, id);

-- Pushes stop at once when the session ends, moves to another unit, or its unit goes out
-- of service (the device re-subscribes when it comes back).
CREATE TRIGGER push_session_ended AFTER UPDATE OF revoked_at ON sessions
WHEN NEW.revoked_at IS NOT NULL
BEGIN
    DELETE FROM push_subscriptions WHERE token_hash = NEW.token_hash;
END;

CREATE TRIGGER push_session_moved AFTER UPDATE OF unit_id ON sessions
WHEN NEW.unit_id IS NOT OLD.unit_id
BEGIN
    DELETE FROM push_subscriptions WHERE token_hash = NEW.token_hash;
END;

CREATE TRIGGER push_out_of_service AFTER UPDATE OF status ON units
WHEN NEW.status = 'out_of_service'
BEGIN
    DELETE FROM push_subscriptions WHERE unit_id = NEW.id;
END;
