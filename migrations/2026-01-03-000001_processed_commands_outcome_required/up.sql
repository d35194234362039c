-- A remembered command's key is now claimed and given its outcome inside the command's own
-- transaction, so every committed row has its outcome: a row without one (a "reservation", which
-- a command killed mid-way used to leave behind, blocking its request_id) can no longer exist,
-- and the schema says so.
--
-- The reservations still here were written by the previous release: their commands failed, died
-- with their process, or are running right now on an instance not yet upgraded (which then
-- stores nothing for them; a retry runs the command again). They are deleted.
DELETE FROM processed_commands WHERE timer IS NULL;

ALTER TABLE processed_commands
    -- Redundant once both columns are NOT NULL.
    DROP CONSTRAINT processed_commands_outcome_whole,
    ALTER COLUMN change SET NOT NULL,
    ALTER COLUMN timer SET NOT NULL;
