-- task_sync_internal.tg_task__dismiss() -> trigger
-- Statement-level AFTER DELETE trigger of task: remembers each generated task, draft or formal,
-- that people deleted (a dismissal), so that a sync does not re-add a draft for it while its key
-- stays desired. Deletes made by a sync itself (_applying(): only _apply can make it true) are
-- not dismissals, nor are deletes of manual tasks or of tasks whose process is gone (their key can
-- never be desired again).
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books on behalf
-- of people's statements; a trigger function cannot be called directly, and it reads only the
-- statement's own transition tables.
-- Locks:   none of its own.
-- Raises:  nothing.
-- Writes:  task_dismissal (through _dismiss).

CREATE FUNCTION task_sync_internal.tg_task__dismiss()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF task_sync_internal._applying() THEN
        RETURN NULL;
    END IF;
    PERFORM task_sync_internal._dismiss(ARRAY(SELECT o::task_sync.task FROM old_rows o));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_task__dismiss() IS 'Remembers generated tasks deleted by people (dismissals)';
