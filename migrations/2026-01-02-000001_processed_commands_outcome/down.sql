-- The outcomes cannot be rendered into the previous replies here: they are forgotten, as the
-- replies were on the way up.
DELETE FROM processed_commands;

ALTER TABLE processed_commands
    DROP CONSTRAINT processed_commands_outcome_whole,
    DROP COLUMN timer,
    DROP COLUMN change,
    ADD COLUMN reply TEXT NOT NULL;
