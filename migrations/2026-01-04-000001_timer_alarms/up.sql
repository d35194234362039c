-- The alarms of the active timers: time's up and forgotten (issue 18). One row per RUNNING or
-- PAUSED timer, written in the same transaction as the timer, deleted when the timer ends.
--
-- Kept out of `timers` on purpose: `due_at` moves on every pause and resume, and an indexed
-- column there would stop those updates from being HOT (see README.md), so each would write an
-- entry into every index of `timers`. Here it touches this table's two small indexes only.
CREATE TABLE timer_alarms (
    timer_id            UUID        PRIMARY KEY REFERENCES timers (id) ON DELETE CASCADE,
    owner_id            BIGINT      NOT NULL,
    -- The earliest alarm still to go off; null while paused or when none is pending.
    due_at              TIMESTAMPTZ,
    -- The `allocated_duration` each alarm last went off for: at most once per allocation.
    time_up_fired_for   INTEGER,
    forgotten_fired_for INTEGER
);

-- What the scheduler claims: due rows, earliest first.
CREATE INDEX timer_alarms_due_idx ON timer_alarms (due_at) WHERE due_at IS NOT NULL;

-- The timers active at the upgrade: RUNNING ones are due when their running time reaches the
-- allocation, i.e. the open interval's start plus what is left of the allocation after the
-- closed intervals (the last pause's `elapsed`). Those already past it go off once, late, at the
-- first scheduler run; PAUSED ones get their instant at the next resume.
INSERT INTO timer_alarms (timer_id, owner_id, due_at)
SELECT t.id,
       t.owner_id,
       CASE WHEN t.status = 'RUNNING' THEN
           date_trunc('second', (t.pause_history -> -1 ->> 'at')::timestamptz)
           + make_interval(secs => t.allocated_duration - COALESCE((
               SELECT (h.event ->> 'elapsed')::bigint
               FROM jsonb_array_elements(t.pause_history) WITH ORDINALITY AS h(event, n)
               WHERE h.event ->> 'action' = 'pause'
               ORDER BY h.n DESC
               LIMIT 1), 0))
       END
FROM timers t
WHERE t.ended_at IS NULL;
