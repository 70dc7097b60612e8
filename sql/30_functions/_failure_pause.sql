-- task_sync_internal._failure_pause(p_work_order_id bigint, p_synced_version bigint) -> boolean
-- True while sync_pending passes over a work order whose last batch sync failed (sync_failure):
-- until its retry_after, and only while its inputs did not change since (its definition_version,
-- synced_version plus the weight of its marks, is not past the one that failed). False at once for
-- a work order that never failed (one index probe).
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._failure_pause(p_work_order_id bigint, p_synced_version bigint)
RETURNS boolean
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (
        SELECT FROM task_sync.sync_failure f
        WHERE f.work_order_id = p_work_order_id AND f.retry_after > clock_timestamp()
          AND f.definition_version >= p_synced_version
              + coalesce((SELECT sum(m.weight) FROM task_sync.work_order_mark m
                          WHERE m.work_order_id = p_work_order_id), 0));
END;

COMMENT ON FUNCTION task_sync_internal._failure_pause(bigint, bigint) IS
    'True while sync_pending passes over a work order whose last batch sync failed';
