-- task_sync_internal._dismiss(p_tasks task_sync.task[]) -> void
-- Remembers these tasks, as they were before people deleted them or took them over, as dismissals
-- (task_dismissal): a sync does not add a draft for their key again while it stays desired. Only
-- generated tasks whose process still exists count: the key of a task whose process is gone can
-- never be desired again. The one place that says what a dismissal is (tg_task__dismiss,
-- tg_task__mark). dismissed_by is the role the session acts as (_caller), not the owner whose
-- rights the triggers run with.
-- Locks:   none of its own.
-- Raises:  nothing.
-- Writes:  task_dismissal.

CREATE FUNCTION task_sync_internal._dismiss(p_tasks task_sync.task[])
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO task_sync.task_dismissal
        (work_order_id, work_order_process_id, task_type, source_kind, source_id, task_id, dismissed_by)
    SELECT o.work_order_id, o.work_order_process_id, o.task_type, o.source_kind, o.source_id, o.id,
           task_sync_internal._caller()
    FROM unnest(p_tasks) AS o
    WHERE o.origin = 'generated' AND o.work_order_process_id IS NOT NULL
      AND EXISTS (SELECT FROM task_sync.work_order_process p
                  WHERE p.work_order_id = o.work_order_id AND p.id = o.work_order_process_id)
    ON CONFLICT DO NOTHING;
$$;

COMMENT ON FUNCTION task_sync_internal._dismiss(task_sync.task[]) IS
    'Records deleted or taken-over generated tasks as dismissals';
