-- task_sync.pending(p_limit integer DEFAULT NULL)
--   -> setof (work_order_id, order_number, definition_version, synced_version, pending_since,
--             last_error, retry_after)
-- The work orders that need a sync and may be synced (_queue), the one waiting longest
-- first; at most p_limit of them (NULL: all). definition_version is synced_version plus the
-- changes its marks stand for; pending_since is when the oldest of them was made. last_error and
-- retry_after say why sync_pending could not sync it last time and until when it passes over it
-- (NULL when its last sync did not fail; execute is not held back).
-- Locks:   none (plain reads).
-- Raises:  TSV01 negative limit.
-- Writes:  nothing.

CREATE FUNCTION task_sync.pending(p_limit integer DEFAULT NULL)
RETURNS TABLE (
    work_order_id       bigint,
    order_number        text,
    definition_version  bigint,
    synced_version      bigint,
    pending_since       timestamptz,
    last_error          text,
    retry_after         timestamptz
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;
    RETURN QUERY
        SELECT c.work_order_id, c.order_number, c.synced_version + c.weight, c.synced_version, c.pending_since,
               f.sqlstate || ': ' || f.message, f.retry_after
        FROM task_sync_internal._queue() c
        LEFT JOIN task_sync.sync_failure f ON f.work_order_id = c.work_order_id
        WHERE c.may_sync
        ORDER BY c.pending_since, c.work_order_id
        LIMIT p_limit;
END
$$;

COMMENT ON FUNCTION task_sync.pending(integer) IS
    'pending(p_limit NULL) -> rows: work orders that need a sync and may be synced, longest waiting '
    'first (at most p_limit; NULL: all), with the error of a failed batch sync. TSV01: negative limit';
