-- task_sync_internal.tg_work_order__forget_marks() -> trigger
-- Statement-level AFTER DELETE trigger of work_order (transition table old_rows): deletes the
-- marks of deleted work orders (work_order_mark has no foreign key to work_order, see there).
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books on behalf
-- of people's statements; a trigger function cannot be called directly, and it reads only the
-- statement's own transition tables.
-- Locks:   the mark rows it deletes.
-- Raises:  nothing.
-- Writes:  work_order_mark.

CREATE FUNCTION task_sync_internal.tg_work_order__forget_marks()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM task_sync.work_order_mark m
    USING old_rows o
    WHERE m.work_order_id = o.id;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order__forget_marks() IS 'Deletes the marks of deleted work orders (statement-level)';
