-- Timer commands rewrite their row: pause and resume change only columns no index uses, so
-- PostgreSQL can make them heap-only (HOT) updates, which add no index entries, provided no
-- index mentions a changed column and the page has room for the new version. `status` was in
-- `timers_owner_status_created_idx`, so no command was ever HOT (0 of 177,735 in the benchmark)
-- and every pause and resume wrote an entry into each of the table's seven indexes.
DROP INDEX timers_owner_status_created_idx;

-- The active timers (sync on connect, `/timers/active`). `ended_at` is null exactly while a
-- timer runs or is paused (constraint `timers_ended_at_iff_ended`) and pause/resume never
-- change it; only the stop or cancel that ends a timer leaves this index.
CREATE INDEX timers_owner_active_idx ON timers (owner_id, created_at DESC, id DESC)
    WHERE ended_at IS NULL;

-- Free space in each page for the next versions of its rows (applies to pages written from now).
ALTER TABLE timers SET (fillfactor = 80);
