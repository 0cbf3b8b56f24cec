-- Each change names the record it carries and when it was recorded, so that a new device can
-- start from the newest copy of every record instead of the agency's whole history, and the
-- hub can drop copies that a newer one replaced once they are older than it keeps history.
ALTER TABLE changes ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE changes ADD COLUMN record_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE changes ADD COLUMN recorded_at INTEGER NOT NULL DEFAULT 0;

-- Changes recorded before this version: their kind and record from the stored body; their
-- age counts from now, so nothing is dropped before the hub has kept it for its full period.
UPDATE changes SET
    kind = coalesce(json_extract(body, '$.type'), ''),
    record_id = CASE json_extract(body, '$.type')
        WHEN 'field_event' THEN 0
        ELSE coalesce(json_extract(body, '$.data.id'), 0)
    END,
    recorded_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000;

-- Field events (half of what a status push writes) are never looked up by record: leaving
-- them out keeps the index off the ingest path's busiest inserts. Queries that use it say
-- `kind != 'field_event'` so SQLite may.
CREATE INDEX changes_by_record ON changes (agency_id, kind, record_id, cursor)
    WHERE kind != 'field_event';

-- Every change up to this cursor that a newer copy replaced has been dropped: a device whose
-- cursor is older starts again from the newest copies.
ALTER TABLE agencies ADD COLUMN compacted_to INTEGER NOT NULL DEFAULT 0;
