ALTER TABLE timers RESET (fillfactor);
DROP INDEX timers_owner_active_idx;
CREATE INDEX timers_owner_status_created_idx ON timers (owner_id, status, created_at DESC, id DESC);
