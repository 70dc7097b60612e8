-- 0013_scale down: back to 0012_error_codes.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE OR REPLACE FUNCTION task_sync_internal._queue()
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
    SELECT w.id, w.order_number, w.synced_version, m.weight, m.since,
           task_sync_internal._may_sync(w.status, w.approval_status)
    FROM (SELECT x.work_order_id, sum(x.weight) AS weight, min(x.marked_at) AS since
          FROM task_sync.work_order_mark x
          GROUP BY x.work_order_id) m
    JOIN task_sync.work_order w ON w.id = m.work_order_id;
END;

COMMENT ON FUNCTION task_sync_internal._queue() IS
    'The work orders with marks, and whether each may be synced (the source of pending and sync_pending)';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
