-- task_sync_internal._candidates(p_want integer, p_seen bigint[]) -> (try bigint[], closed bigint[])
-- Step 1 of sync_pending: the next work orders to try, longest waiting first, read without
-- locking: at most p_want of those that may be synced, never one in p_seen (tried in this call, or
-- not to be tried), nor one whose last sync failed until its retry_after or a new change
-- (_failure_pause). They are looked for among the oldest 10,000 marks first (an index scan: what
-- waits longest is there, however many marks a storm of rule changes left behind it), and in the
-- whole queue (_queue, as pending() reads it) when those hold too few. closed: the work orders met
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
    WITH oldest AS MATERIALIZED (
        SELECT m.work_order_id, m.marked_at
        FROM task_sync.work_order_mark m
        ORDER BY m.marked_at, m.id
        LIMIT c_window
    ),
    queue AS MATERIALIZED (
        SELECT o.work_order_id, min(o.marked_at) AS since,
               task_sync_internal._may_sync(w.status, w.approval_status) AS may_sync, w.synced_version
        FROM oldest o
        JOIN task_sync.work_order w ON w.id = o.work_order_id
        GROUP BY o.work_order_id, w.status, w.approval_status, w.synced_version
    )
    SELECT ARRAY(SELECT q.work_order_id FROM queue q
                 WHERE q.may_sync AND q.work_order_id <> ALL (p_seen)
                   AND NOT task_sync_internal._failure_pause(q.work_order_id, q.synced_version)
                 ORDER BY q.since, q.work_order_id
                 LIMIT p_want),
           ARRAY(SELECT q.work_order_id FROM queue q WHERE NOT q.may_sync),
           (SELECT count(*) FROM oldest)
    INTO try, closed, v_scanned;
    IF cardinality(try) < p_want AND v_scanned = c_window THEN
        try := ARRAY(
            SELECT c.work_order_id FROM task_sync_internal._queue() c
            WHERE c.may_sync AND c.work_order_id <> ALL (p_seen)
              AND NOT task_sync_internal._failure_pause(c.work_order_id, c.synced_version)
            ORDER BY c.pending_since, c.work_order_id
            LIMIT p_want);
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._candidates(integer, bigint[]) IS
    'The next work orders sync_pending tries, longest waiting first, and the closed ones met among the oldest marks';
