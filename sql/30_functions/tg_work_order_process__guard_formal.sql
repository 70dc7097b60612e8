-- task_sync_internal.tg_work_order_process__guard_formal() -> trigger
-- BEFORE DELETE row-level trigger of work_order_process: refuses to delete a process of a work
-- order while formal tasks (any status but draft: pending, in progress, completed, cancelled)
-- still belong to it. It is row-level and BEFORE because it must look before the foreign key's
-- ON DELETE SET NULL detaches the tasks (that action runs before any statement-level AFTER
-- trigger, and BEFORE triggers have no transition tables); it is one index probe per deleted row.
-- Draft tasks of the process are kept, without a process, until a sync removes them.
-- Race-free: it locks the process's tasks (FOR NO KEY UPDATE, the lock the ON DELETE SET NULL that
-- follows takes anyway, so it adds no lock dependency) and judges their latest committed status:
-- a draft a planner is making formal in an open transaction is waited for, and then counted. A
-- task that is formal when the delete commits never loses its process.
-- Locks:   the process's task rows FOR NO KEY UPDATE (until commit).
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
    SELECT count(*) FILTER (WHERE t.status <> 'draft') INTO v_count
    FROM (SELECT t.status
          FROM task_sync.task t
          WHERE t.work_order_id = OLD.work_order_id AND t.work_order_process_id = OLD.id
          FOR NO KEY UPDATE) AS t;
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC04',
            MESSAGE = format('TSC04: process %s of work order %s still has %s formal task(s)',
                             OLD.id, OLD.work_order_id, v_count),
            DETAIL = 'A task is formal in every status but draft: pending, in_progress, completed and cancelled.',
            HINT = 'Delete those tasks first, or keep the process; pytask_sync never removes formal tasks.';
    END IF;
    RETURN OLD;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order_process__guard_formal() IS
    'Refuses deleting a route process that still has formal tasks (TSC04), waiting for tasks being changed';
