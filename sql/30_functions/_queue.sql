-- task_sync_internal._queue()
--   -> setof (work_order_id, order_number, synced_version, weight, pending_since, may_sync)
-- The work orders with marks (weight: how many changes the marks stand for; pending_since: the
-- oldest mark), and whether each may be synced (not approved, completed or cancelled). The source
-- of sync_pending's candidates past the oldest marks (_candidates): those that may be synced are
-- the ones that wait, each caller orders them by (pending_since, work_order_id), the one waiting
-- longest first; the others are the closed jobs whose marks sync_pending parks (so this reads few
-- of them). It reads the marks and every marked work order (by id), never every work order: its
-- cost follows the backlog, not the size of the shop. pending() and plan_pending read _waiting,
-- which stops at the work orders they return.
-- A standard SQL body without a SET clause: bound when created, and inlined into its callers'
-- queries.
-- Locks:   none (plain reads).
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._queue()
RETURNS TABLE (
    work_order_id   bigint,
    order_number    text,
    synced_version  bigint,
    weight          bigint,
    pending_since   timestamptz,
    may_sync        boolean
)
LANGUAGE sql STABLE
BEGIN ATOMIC
    -- the marks read once (their table is as large as the most marks it ever held, not the backlog)
    WITH m AS MATERIALIZED (
        SELECT x.work_order_id, sum(x.weight) AS weight, min(x.marked_at) AS since
        FROM task_sync.work_order_mark x
        GROUP BY x.work_order_id
    )
    SELECT w.id, w.order_number, w.synced_version, m.weight, m.since,
           task_sync_internal._may_sync(w.status, w.approval_status)
    FROM m
    JOIN task_sync.work_order w ON w.id = m.work_order_id
    -- the marked work orders by id: a join alone may read every work order (a hash join, the one
    -- plan callers that turn nested loops off can have), which made pending() and plan_pending
    -- cost the size of the shop, not of its backlog
    WHERE w.id = ANY (ARRAY(SELECT m.work_order_id FROM m));
END;

COMMENT ON FUNCTION task_sync_internal._queue() IS
    'The work orders with marks, and whether each may be synced (the source of pending and sync_pending)';
