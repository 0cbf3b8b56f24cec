-- A status event's entry id is no longer an index of its own: `processed_entries` already
-- holds every entry's id, looked up before anything applies, so the second index on a
-- random key only cost each status write.
ALTER TABLE status_events DROP CONSTRAINT IF EXISTS status_events_entry_id_key;
