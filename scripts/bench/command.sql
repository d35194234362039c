-- pgbench script: the database work of one WebSocket timer command, for the ceiling that
-- `scripts/bench.sh` compares the server's command throughput with.
--
-- One command of the server is one transaction: lock the owner's timer row
-- (SELECT … FOR UPDATE), apply the transition, UPDATE the row, announce it (pg_notify, as the
-- cross-instance fan-out does), commit. Here the transition alternates PAUSED/RUNNING so the
-- row stays valid under the table's CHECK constraints. :minid/:maxid are the seeded owners
-- (one timer each), passed with `pgbench -D`.
\set uid random(:minid, :maxid)
BEGIN;
SELECT id, status, version, pause_history FROM timers WHERE owner_id = :uid FOR UPDATE;
UPDATE timers
   SET status = CASE status WHEN 'RUNNING' THEN 'PAUSED' ELSE 'RUNNING' END,
       paused_at = CASE status WHEN 'RUNNING' THEN now() ELSE NULL END,
       version = version + 1,
       updated_at = now()
 WHERE owner_id = :uid;
SELECT pg_notify('hourglass_bench', '{"owner_id":' || :uid || ',"type":"timer.updated"}');
END;
