-- Entry ids are unique across every device: a push looks its ids up here before applying.
CREATE INDEX processed_entries_entry ON processed_entries (entry_id);
