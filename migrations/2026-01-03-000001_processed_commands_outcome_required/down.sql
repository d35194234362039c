-- Back to the previous release's rows: a reservation (no outcome) or a whole outcome.
ALTER TABLE processed_commands
    ALTER COLUMN timer DROP NOT NULL,
    ALTER COLUMN change DROP NOT NULL,
    ADD CONSTRAINT processed_commands_outcome_whole CHECK ((change IS NULL) = (timer IS NULL));
