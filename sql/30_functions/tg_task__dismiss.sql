-- task_sync.tg_task__dismiss() -> trigger
-- Statement-level AFTER DELETE trigger of task: remembers each generated task, draft or formal,
-- that people deleted (a dismissal), so that a sync does not re-add a draft for it while its key
-- stays desired. Deletes made by a sync itself (task_sync.applying = on, set by _apply) are not
-- dismissals, nor are deletes of manual tasks or of tasks whose process is gone (their key can
-- never be desired again).
-- Locks:   none of its own.
-- Raises:  nothing.
-- Writes:  task_dismissal (through _dismiss).

CREATE FUNCTION task_sync.tg_task__dismiss()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('task_sync.applying', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM task_sync._dismiss(ARRAY(SELECT o::task_sync.task FROM old_rows o));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_task__dismiss() IS 'Remembers generated tasks deleted by people (dismissals)';
