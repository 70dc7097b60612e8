-- task_sync_internal._candidates(p_want integer, p_seen bigint[]) -> (try bigint[], closed bigint[])
-- Step 1 of sync_pending: the next work orders to try, longest waiting first, read without
-- locking: at most p_want of those that may be synced, never one in p_seen (tried in this call, or
-- not to be tried), nor one whose last sync failed until its retry_after or a new change
-- (_paused). They are looked for among the oldest 10,000 marks first (_oldest_marks, by index:
-- what waits longest is there, however many marks a storm of rule changes left behind it), and in the
-- whole queue (_queue) when those hold too few. closed: the work orders met
-- among the oldest marks that may not be synced (approved, completed, cancelled), whose marks the
-- caller parks.
-- Locks:   none (plain reads).
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._candidates(p_want integer, p_seen bigint[], OUT try bigint[], OUT closed bigint[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_window    CONSTANT integer := 10000;  -- the oldest marks searched first
    v_scanned   bigint;                     -- how many of them there were
BEGIN
    -- every step reads only what the marks name: the oldest marks by index, their work orders by
    -- id, p_seen and the paused ones as hashed anti-joins (not a test per candidate, which made
    -- each call cost the backlog times what it had seen)
    WITH oldest AS MATERIALIZED (
        SELECT m.work_order_id, m.marked_at
        FROM task_sync_internal._oldest_marks(c_window) m
    ),
    queue AS MATERIALIZED (
        SELECT o.work_order_id, min(o.marked_at) AS since
        FROM oldest o
        GROUP BY o.work_order_id
    ),
    wo AS MATERIALIZED (
        SELECT w.id, task_sync_internal._may_sync(w.status, w.approval_status) AS may_sync
        FROM task_sync.work_order w
        WHERE w.id = ANY (ARRAY(SELECT q.work_order_id FROM queue q))
    )
    SELECT ARRAY(SELECT q.work_order_id
                 FROM queue q
                 JOIN wo ON wo.id = q.work_order_id
                 WHERE wo.may_sync
                   AND NOT EXISTS (SELECT FROM unnest(p_seen) AS s (id) WHERE s.id = q.work_order_id)
                   AND NOT EXISTS (SELECT FROM task_sync_internal._paused() p WHERE p.work_order_id = q.work_order_id)
                 ORDER BY q.since, q.work_order_id
                 LIMIT p_want),
           ARRAY(SELECT wo.id FROM wo WHERE NOT wo.may_sync),
           (SELECT count(*) FROM oldest)
    INTO try, closed, v_scanned;
    IF cardinality(try) < p_want AND v_scanned = c_window THEN
        try := ARRAY(
            SELECT c.work_order_id
            FROM task_sync_internal._queue() c
            WHERE c.may_sync
              AND NOT EXISTS (SELECT FROM unnest(p_seen) AS s (id) WHERE s.id = c.work_order_id)
              AND NOT EXISTS (SELECT FROM task_sync_internal._paused() p WHERE p.work_order_id = c.work_order_id)
            ORDER BY c.pending_since, c.work_order_id
            LIMIT p_want);
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._candidates(integer, bigint[]) IS
    'The next work orders sync_pending tries, longest waiting first, and the closed ones met among the oldest marks';
