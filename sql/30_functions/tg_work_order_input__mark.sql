-- task_sync_internal.tg_work_order_input__mark() -> trigger
-- Statement-level AFTER INSERT / UPDATE / DELETE trigger of every per-work-order input table
-- (work_order_process, and the links or lines table work_order_<kind> of every source kind but
-- work_order: create_source_kind adds the trigger), with transition tables new_rows / old_rows.
-- Marks each work order whose rows the statement changed, once per statement (_mark). An
-- UPDATE marks only the work orders of rows whose values really changed: the rows of the
-- symmetric difference of old_rows and new_rows (a row moved to another work order marks both).
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books on behalf
-- of people's statements; a trigger function cannot be called directly, and it reads only the
-- statement's own transition tables.
-- Locks:   none beyond the marks it inserts (through _mark): the work order rows are not touched.
-- Raises:  nothing.
-- Writes:  work_order_mark (through _mark).

CREATE FUNCTION task_sync_internal.tg_work_order_input__mark()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        v_ids := ARRAY(SELECT DISTINCT n.work_order_id FROM new_rows n);
    ELSIF TG_OP = 'DELETE' THEN
        v_ids := ARRAY(SELECT DISTINCT o.work_order_id FROM old_rows o);
    ELSE
        v_ids := ARRAY(
            SELECT DISTINCT x.work_order_id
            FROM ((TABLE new_rows EXCEPT ALL TABLE old_rows)
                  UNION ALL
                  (TABLE old_rows EXCEPT ALL TABLE new_rows)) AS x);
    END IF;
    PERFORM task_sync_internal._mark(v_ids);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order_input__mark() IS
    'Marks the work orders whose inputs a statement really changed (statement-level, transition tables)';
