-- task_sync_internal.tg_any__mark_truncate() -> trigger
-- Statement-level AFTER TRUNCATE trigger of every table whose rows reach a plan: the inputs
-- (route, links, lines), task, generation_rule and task_dismissal. TRUNCATE has no transition
-- tables, so which work orders it touched is unknown: every work order is marked. TRUNCATE holds
-- ACCESS EXCLUSIVE on its table, so no edit of that table runs beside it.
-- Locks:   none of its own.
-- Raises:  TSC05 not READ COMMITTED (a work order created after an older snapshot would be missed).
-- Writes:  work_order_mark (through _mark).

CREATE FUNCTION task_sync_internal.tg_any__mark_truncate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync_internal._require_read_committed(format('TRUNCATE of %s', TG_TABLE_NAME));
    PERFORM task_sync_internal._mark(ARRAY(SELECT w.id FROM task_sync.work_order w));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_any__mark_truncate() IS 'Marks every work order after a TRUNCATE of a table that reaches plans';
