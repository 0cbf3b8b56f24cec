-- How often (seconds) a crew's device on a call sends its position when standing still: the
-- agency chooses, within what the hub accepts.
ALTER TABLE agencies ADD COLUMN position_interval_s BIGINT NOT NULL DEFAULT 15
    CONSTRAINT agencies_position_interval_s_check CHECK (position_interval_s BETWEEN 10 AND 120);
