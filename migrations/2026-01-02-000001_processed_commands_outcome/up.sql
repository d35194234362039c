-- A remembered command keeps its outcome as data (what changed, and the timer as the command left
-- it) instead of the reply rendered as WebSocket JSON, so a replay is rendered by the current code
-- like any other reply.
--
-- The rendered replies cannot be turned back into timers, so every existing row is deleted: a
-- command retried within 24 h of this upgrade runs again instead of being replayed (pause,
-- resume, stop and cancel of a timer that already made that move are then refused by the state
-- machine; a retried create makes a second timer). Reservations in flight are deleted too; their
-- holder's `complete` then finds no row and stores nothing.
DELETE FROM processed_commands;

ALTER TABLE processed_commands
    DROP COLUMN reply,
    -- The `TimerChange` wire value; NULL while the key is only reserved.
    ADD COLUMN change TEXT
        CHECK (change IN ('start', 'pause', 'resume', 'stop', 'cancel', 'update')),
    -- The timer snapshot (the adapter's JSON mirror of it); NULL while the key is only reserved.
    ADD COLUMN timer JSONB,
    ADD CONSTRAINT processed_commands_outcome_whole CHECK ((change IS NULL) = (timer IS NULL));
