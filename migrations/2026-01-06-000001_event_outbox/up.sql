-- The event outbox (issue 22): a command's transaction writes its events here instead of calling
-- `pg_notify`. At commit PostgreSQL serialises every notifying transaction on one cluster-wide
-- lock held through the WAL flush, so notifying writers commit one at a time; an INSERT does not.
-- A relay in each instance publishes the rows of the partitions it holds and deletes them.
--
-- Order: a writer takes the user's advisory lock (`pg_advisory_xact_lock(user_id)`, the lock
-- notifications already take for their receiver) before drawing `id`, and holds it to commit, so
-- one user's rows have ids in commit order. The relay reads a partition in `id` order and deletes
-- what it published, so a row that commits late with a lower id is simply found on the next pass.
--
-- No foreign key to `users`: the announcements of an account's deletion outlive the account.
CREATE TABLE event_outbox (
    id         BIGSERIAL   PRIMARY KEY,
    -- Whose events must stay in order: the timer's owner, the notification's receiver, …
    user_id    BIGINT      NOT NULL,
    -- The relay's unit of ownership (claimed with an advisory lock). 64 is fixed here and in
    -- `crates/adapters-postgres/src/outbox.rs` (`PARTITIONS`); changing it needs a migration.
    partition  SMALLINT    GENERATED ALWAYS AS ((user_id % 64 + 64) % 64) STORED,
    -- The announcement's JSON, with `src` (the writing instance's `application_name`).
    payload    TEXT        NOT NULL,
    -- When the row was written: how far behind the relay is (`oldest` in its metrics).
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

-- What the relay reads: one partition's rows in id order.
CREATE INDEX event_outbox_partition_id_idx ON event_outbox (partition, id);

-- A queue: every row is deleted within milliseconds, so vacuum it by row count, not by a share
-- of a table that is nearly always empty.
ALTER TABLE event_outbox SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 5000
);
