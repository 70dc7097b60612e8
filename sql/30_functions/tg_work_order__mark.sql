-- task_sync_internal.tg_work_order__mark() -> trigger
-- Statement-level AFTER UPDATE trigger of work_order: marks the work orders whose generating
-- columns (order_number, production_quantity) changed. Status, approval and the engine's own
-- version columns do not mark.
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books on behalf
-- of people's statements; a trigger function cannot be called directly, and it reads only the
-- statement's own transition tables.
-- Locks:   the marked work order rows (through _mark; already held by the UPDATE).
-- Raises:  nothing.
-- Writes:  work_order (through _mark).

CREATE FUNCTION task_sync_internal.tg_work_order__mark()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync_internal._mark(ARRAY(
        SELECT n.id
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE (n.order_number, n.production_quantity) IS DISTINCT FROM (o.order_number, o.production_quantity)));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order__mark() IS
    'Marks work orders whose order_number or production_quantity changed (statement-level)';
