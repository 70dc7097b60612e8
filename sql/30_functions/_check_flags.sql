-- task_sync_internal._check_flags(p_overwrite_edits boolean, p_restore_dismissed boolean) -> void
-- Refuses a NULL for either of execute's flags (preview, plan and execute take the same two).
-- Locks:   none.
-- Raises:  TSV01 a flag is NULL.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._check_flags(p_overwrite_edits boolean, p_restore_dismissed boolean)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_overwrite_edits IS NULL OR p_restore_dismissed IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = 'TSV01: p_overwrite_edits and p_restore_dismissed must be true or false, not NULL';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._check_flags(boolean, boolean) IS 'Raises TSV01 when a sync flag is NULL';
