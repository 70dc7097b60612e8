-- task_sync_internal._waiting(p_limit integer)
--   -> setof (work_order_id, order_number, synced_version, weight, pending_since)
-- The first p_limit work orders that wait (marked, and may be synced: _queue's may_sync), the
-- one waiting longest first, by (pending_since, work_order_id); NULL: all of them. weight and
-- pending_since as _queue gives them. The source of pending() and plan_pending.
-- It reads only the work orders it returns: the marks say the order, so the work orders of the
-- p_limit oldest are read first (by id), and the rest only when some of those may not be synced
-- (closed jobs whose marks no batch has parked yet). Reading every marked work order to keep p_limit
-- of them cost pending(100) and plan_pending(100) the whole backlog's rows, each on a page of its
-- own in a large shop.
-- A standard SQL body without a SET clause: bound when created, and inlined into its callers'
-- queries.
-- Locks:   none (plain reads).
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._waiting(p_limit integer)
RETURNS TABLE (
    work_order_id   bigint,
    order_number    text,
    synced_version  bigint,
    weight          bigint,
    pending_since   timestamptz
)
LANGUAGE sql STABLE
BEGIN ATOMIC
    -- the marks read once, numbered in the order the work orders wait
    WITH m AS MATERIALIZED (
        SELECT x.work_order_id, sum(x.weight) AS weight, min(x.marked_at) AS since,
               row_number() OVER (ORDER BY min(x.marked_at), x.work_order_id) AS n
        FROM task_sync.work_order_mark x
        GROUP BY x.work_order_id
    ),
    head AS MATERIALIZED (
        SELECT w.id, w.order_number, w.synced_version,
               task_sync_internal._may_sync(w.status, w.approval_status) AS may_sync
        FROM task_sync.work_order w
        WHERE w.id = ANY (ARRAY(SELECT m.work_order_id FROM m WHERE p_limit IS NULL OR m.n <= p_limit))
    ),
    tail AS MATERIALIZED (
        -- read only when the head falls short (a test without columns: checked once, before the scan)
        SELECT w.id, w.order_number, w.synced_version,
               task_sync_internal._may_sync(w.status, w.approval_status) AS may_sync
        FROM task_sync.work_order w
        WHERE EXISTS (SELECT FROM head WHERE NOT head.may_sync)
          AND w.id = ANY (ARRAY(SELECT m.work_order_id FROM m WHERE m.n > p_limit))
    )
    SELECT m.work_order_id, h.order_number, h.synced_version, m.weight, m.since
    FROM m
    JOIN (SELECT * FROM head UNION ALL SELECT * FROM tail) AS h ON h.id = m.work_order_id
    WHERE h.may_sync
    ORDER BY m.since, m.work_order_id
    LIMIT p_limit;
END;

COMMENT ON FUNCTION task_sync_internal._waiting(integer) IS
    'The first p_limit work orders that wait, longest waiting first, reading only those (the source of pending and plan_pending)';
