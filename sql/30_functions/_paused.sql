-- task_sync_internal._paused() -> setof (work_order_id bigint)
-- The work orders sync_pending passes over now because their last batch sync failed
-- (sync_failure): until its retry_after, and only while their inputs did not change since (the
-- definition_version, synced_version plus the weight of the marks, is not past the one that
-- failed). One read of sync_failure, which holds a row per failing work order only, each checked
-- by index lookups: a caller anti-joins the result once (a SQL function with a subquery is never
-- inlined, so a test per candidate would run a query per candidate).
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._paused()
RETURNS TABLE (work_order_id bigint)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT f.work_order_id
    FROM task_sync.sync_failure f
    WHERE f.retry_after > clock_timestamp()
      AND f.definition_version >= (SELECT w.synced_version FROM task_sync.work_order w WHERE w.id = f.work_order_id)
          + coalesce((SELECT sum(m.weight) FROM task_sync.work_order_mark m
                      WHERE m.work_order_id = f.work_order_id), 0);
END;

COMMENT ON FUNCTION task_sync_internal._paused() IS
    'The work orders sync_pending passes over now, because their last batch sync failed';
