-- task_sync_internal.tg_work_order__forget_books() -> trigger
-- Statement-level AFTER DELETE trigger of work_order (transition table old_rows): deletes the
-- marks (parked ones too), the dismissals and the failed syncs of deleted work orders. None of
-- these tables has a foreign key to work_order: its check would lock the work order row (KEY
-- SHARE) from inside the statements that write them (marking by rule and catalog changes; a
-- planner's DELETE of a draft, which then deadlocked with an edit of another draft that waited
-- for the work order row), so they go with it here.
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books on behalf
-- of people's statements; a trigger function cannot be called directly, and it reads only the
-- statement's own transition tables.
-- Locks:   the rows it deletes.
-- Raises:  nothing.
-- Writes:  work_order_mark, work_order_mark_parked, task_dismissal, sync_failure.

CREATE FUNCTION task_sync_internal.tg_work_order__forget_books()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM task_sync.work_order_mark m
    USING old_rows o
    WHERE m.work_order_id = o.id;
    DELETE FROM task_sync.work_order_mark_parked p
    USING old_rows o
    WHERE p.work_order_id = o.id;
    DELETE FROM task_sync.task_dismissal x
    USING old_rows o
    WHERE x.work_order_id = o.id;
    DELETE FROM task_sync.sync_failure f
    USING old_rows o
    WHERE f.work_order_id = o.id;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order__forget_books() IS
    'Deletes the marks, dismissals and failed syncs of deleted work orders (statement-level)';
