-- task_sync_internal.tg_work_order_process__guard_formal() -> trigger
-- BEFORE DELETE row-level trigger of work_order_process: refuses to delete a process of a work
-- order while formal tasks still belong to it. It is row-level and BEFORE because it must look
-- before the foreign key's ON DELETE SET NULL detaches the tasks (that action runs before any
-- statement-level AFTER trigger, and BEFORE triggers have no transition tables); it is one index
-- probe per deleted row. Draft tasks of the process are kept, without a process, until a sync
-- removes them.
-- Locks:   none of its own.
-- Raises:  TSC04 the process still has formal tasks.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal.tg_work_order_process__guard_formal()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count bigint;
BEGIN
    SELECT count(*) INTO v_count
    FROM task_sync.task t
    WHERE t.work_order_id = OLD.work_order_id AND t.work_order_process_id = OLD.id AND t.status <> 'draft';
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC04',
            MESSAGE = format('process %s of work order %s still has %s formal task(s)',
                             OLD.id, OLD.work_order_id, v_count),
            HINT = 'Complete or cancel its tasks elsewhere first; formal tasks are never removed by pytask_sync.';
    END IF;
    RETURN OLD;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order_process__guard_formal() IS
    'Refuses deleting a route process that still has formal tasks (TSC04)';
