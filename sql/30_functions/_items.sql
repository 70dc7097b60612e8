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
-- A standard SQL body without a SET clause: bound when created (names resolved then, not by the
-- caller's search_path) and inlined into the calling query. A function with a SET clause runs as
-- a query of its own, and handing it a plan of thousands of rows costs more than the work.
BEGIN ATOMIC
    SELECT row_number() OVER (ORDER BY x.work_order_id, x.work_order_process_id NULLS FIRST, x.task_type,
                                       x.source_kind, x.source_id, x.task_id NULLS FIRST, x.action),
           x
    FROM unnest(p_rows) AS x
    WHERE x.action <> 'keep';
END;

COMMENT ON FUNCTION task_sync_internal._items(task_sync.plan_row[]) IS 'Visible plan items, numbered in canonical order';
