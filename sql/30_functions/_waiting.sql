-- task_sync_internal._waiting(p_limit integer)
--   -> setof (work_order_id, order_number, synced_version, weight, pending_since)
-- The first p_limit work orders that wait (marked, and may be synced: _queue's may_sync), the
-- one waiting longest first, by (pending_since, work_order_id); NULL: all of them. weight and
-- pending_since as _queue gives them. The source of pending() and plan_pending.
-- It reads what it returns, not the backlog: the oldest marks by index (_oldest_marks), in the
-- order the work orders wait (marked_at, work_order_id: a work order's oldest mark comes before its
-- others, and every work order met in them waits longer than any that is not), at most 1,000 or 10
-- p_limit of them; the work orders of the first p_limit met, by id, and the others met only when
-- some of those may not be synced (closed jobs whose marks no batch has parked yet); the weights of
-- the ones returned by index. Every mark and marked work order (_queue) only when the oldest marks
-- held too few that may be synced. Reading every marked work order to keep p_limit of them cost
-- pending(100) the whole backlog, each row on a page of its own in a large shop.
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
    WITH oldest AS MATERIALIZED (
        SELECT x.work_order_id, x.marked_at
        FROM task_sync_internal._oldest_marks(CASE WHEN p_limit IS NOT NULL THEN greatest(1000, 10 * p_limit) END) x
    ),
    -- the work orders met, numbered in the order they wait
    m AS MATERIALIZED (
        SELECT o.work_order_id, min(o.marked_at) AS since,
               row_number() OVER (ORDER BY min(o.marked_at), o.work_order_id) AS n
        FROM oldest o
        GROUP BY o.work_order_id
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
    ),
    found AS MATERIALIZED (
        SELECT m.work_order_id, h.order_number, h.synced_version, m.since
        FROM m
        JOIN (SELECT * FROM head UNION ALL SELECT * FROM tail) AS h ON h.id = m.work_order_id
        WHERE h.may_sync
        ORDER BY m.since, m.work_order_id
        LIMIT p_limit
    ),
    -- too few among the oldest marks, and there are more: every mark and marked work order (read
    -- only then, the tests without columns checked once)
    rest AS MATERIALIZED (
        SELECT q.work_order_id, q.order_number, q.synced_version, q.pending_since AS since
        FROM task_sync_internal._queue() q
        WHERE (SELECT count(*) FROM found) < p_limit
          AND (SELECT count(*) FROM oldest) = greatest(1000, 10 * p_limit)
          AND q.may_sync
        ORDER BY q.pending_since, q.work_order_id
        LIMIT p_limit
    ),
    chosen AS (
        SELECT * FROM found WHERE NOT EXISTS (SELECT FROM rest)
        UNION ALL
        SELECT * FROM rest
    )
    SELECT c.work_order_id, c.order_number, c.synced_version,
           (SELECT sum(x.weight) FROM task_sync.work_order_mark x WHERE x.work_order_id = c.work_order_id),
           c.since
    FROM chosen c
    ORDER BY c.since, c.work_order_id;
END;

COMMENT ON FUNCTION task_sync_internal._waiting(integer) IS
    'The first p_limit work orders that wait, longest waiting first, reading only those (the source of pending and plan_pending)';
