-- Whether pushes may carry a note's text (lock screens show it): off unless an agency
-- chooses it.
ALTER TABLE agencies ADD COLUMN push_details INTEGER NOT NULL DEFAULT 0;
