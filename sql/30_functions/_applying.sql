-- task_sync_internal._applying() -> boolean
-- True while a sync (_apply) of this transaction is writing: the task triggers use it to tell
-- the engine's inserts and deletes from people's. Only _apply, running with the owner's rights,
-- writes task_sync.applying, so no reader or writer can make it true (a setting could be set by
-- anyone).
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._applying()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM task_sync.applying a WHERE a.xact = pg_current_xact_id_if_assigned())
$$;

COMMENT ON FUNCTION task_sync_internal._applying() IS 'True while a sync of this transaction is writing (engine only)';
