-- task_sync_internal.tg_work_order_process__forget_dismissals() -> trigger
-- Statement-level AFTER DELETE trigger of work_order_process (transition table old_rows):
-- forgets the dismissals of the deleted processes, whose keys can never be desired again.
-- (A dismissal recorded concurrently with the delete may outlive it; the next sync of the work
-- order forgets it, as it forgets every dismissal whose key is not desired.)
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books on behalf
-- of people's statements; a trigger function cannot be called directly, and it reads only the
-- statement's own transition tables.
-- Locks:   the dismissal rows it deletes.
-- Raises:  nothing.
-- Writes:  task_dismissal.

CREATE FUNCTION task_sync_internal.tg_work_order_process__forget_dismissals()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM task_sync.task_dismissal d
    USING old_rows o
    WHERE d.work_order_id = o.work_order_id AND d.work_order_process_id = o.id;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order_process__forget_dismissals() IS
    'Forgets the dismissals of deleted route processes (statement-level)';
