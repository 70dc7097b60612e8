-- task_sync._items(p_rows task_sync.plan_row[]) -> setof (ord bigint, item jsonb)
-- The visible items of a plan (all but the internal 'keep' lines), each as jsonb, numbered in
-- the plan's one canonical order: by work order, process, task type, source, task. The order
-- does not depend on route sequence numbers, so renumbering a route changes neither a plan nor
-- its hash. preview, plan and the plan hash all take their order from here.
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync._items(p_rows task_sync.plan_row[])
RETURNS TABLE (ord bigint, item jsonb)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT row_number() OVER (ORDER BY r.work_order_id, r.work_order_process_id NULLS FIRST, r.task_type,
                                       r.source_kind, r.source_id, r.task_id NULLS FIRST, r.action),
           to_jsonb(r)
    FROM unnest(p_rows) AS r
    WHERE r.action <> 'keep'
$$;

COMMENT ON FUNCTION task_sync._items(task_sync.plan_row[]) IS 'Visible plan items as jsonb, numbered in canonical order';
