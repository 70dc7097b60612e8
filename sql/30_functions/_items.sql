-- task_sync_internal._items(p_rows task_sync.plan_row[]) -> setof (ord bigint, r task_sync.plan_row)
-- The visible items of a plan (all but the internal 'keep' lines), numbered in the plan's one
-- canonical order: by work order, process, task type, source, task. The order does not depend on
-- route sequence numbers, so renumbering a route changes neither a plan nor its hash. preview,
-- plan and the plan hash all take their order from here.
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._items(p_rows task_sync.plan_row[])
RETURNS TABLE (ord bigint, r task_sync.plan_row)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT row_number() OVER (ORDER BY x.work_order_id, x.work_order_process_id NULLS FIRST, x.task_type,
                                       x.source_kind, x.source_id, x.task_id NULLS FIRST, x.action),
           x
    FROM unnest(p_rows) AS x
    WHERE x.action <> 'keep'
$$;

COMMENT ON FUNCTION task_sync_internal._items(task_sync.plan_row[]) IS 'Visible plan items, numbered in canonical order';
