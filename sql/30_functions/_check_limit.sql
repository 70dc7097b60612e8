-- task_sync_internal._check_limit(p_limit integer) -> void
-- Refuses a negative limit (pending, plan_pending and sync_pending take the same p_limit; NULL: no
-- limit).
-- Locks:   none.
-- Raises:  TSV01 a negative limit.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._check_limit(p_limit integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._check_limit(integer) IS 'Raises TSV01 for a negative limit';
