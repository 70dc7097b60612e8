-- task_sync.plan(p_work_order_id bigint) -> setof task_sync.plan_row
-- The items of preview() as rows, in the same order, for reading in psql:
--   SELECT action, task_id, process_code, task_type, source_kind, source_id FROM task_sync.plan(42);
-- Locks:   none (plain reads).
-- Raises:  TSV01 invalid id; TSN01 work order not found.
-- Writes:  nothing.

CREATE FUNCTION task_sync.plan(p_work_order_id bigint)
RETURNS SETOF task_sync.plan_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync._work_order(p_work_order_id);
    RETURN QUERY
        SELECT p.*
        FROM task_sync._items(ARRAY(SELECT r FROM task_sync._plan_rows(ARRAY[p_work_order_id]) AS r)) AS i
        CROSS JOIN LATERAL jsonb_populate_record(NULL::task_sync.plan_row, i.item) AS p
        ORDER BY i.ord;
END
$$;

COMMENT ON FUNCTION task_sync.plan(bigint) IS 'The plan of a work order as rows (the items of preview), for psql';
