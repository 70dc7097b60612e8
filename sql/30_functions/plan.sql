-- task_sync.plan(p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false,
--                p_restore_dismissed boolean DEFAULT false) -> setof task_sync.plan_row
-- The items of preview() with the same flags as rows, in the same order, for reading in psql:
--   SELECT action, task_id, process_code, task_type, source_kind, source_id FROM task_sync.plan(42);
--   SELECT action, restored, overwritten FROM task_sync.plan(42, p_restore_dismissed => true);
-- Locks:   none (plain reads).
-- Raises:  TSV01 invalid id or a NULL flag; TSN01 work order not found.
-- Writes:  nothing.

CREATE FUNCTION task_sync.plan(
    p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS SETOF task_sync.plan_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- the planner settings and why: docs/scaling.md, "The planner settings of the engine's calls"
SET enable_nestloop = off
SET jit = off
SET plan_cache_mode = force_generic_plan
SET max_parallel_workers_per_gather = 0
AS $$
BEGIN
    PERFORM task_sync_internal._work_order(p_work_order_id);
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
    RETURN QUERY
        SELECT (i.r).*
        FROM task_sync_internal._items(ARRAY(
                SELECT r FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r)) AS i
        ORDER BY i.ord;
END
$$;

COMMENT ON FUNCTION task_sync.plan(bigint, boolean, boolean) IS
    'plan(p_work_order_id, p_overwrite_edits false, p_restore_dismissed false) -> rows: the items of '
    'preview with the same flags, for psql. TSV01: invalid id or a NULL flag; TSN01: work order not '
    'found';
