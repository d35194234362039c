ALTER TABLE timers DROP COLUMN run_bounds;
DROP FUNCTION timer_run_bounds(JSONB);
