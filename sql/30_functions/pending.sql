-- task_sync.pending(p_limit integer DEFAULT NULL)
--   -> setof (work_order_id, order_number, definition_version, synced_version, pending_since)
-- Work orders that need a sync and may be synced (not approved, not completed or cancelled),
-- the one waiting longest first; at most p_limit of them (NULL: all). Reads the small partial
-- index work_order__pending_idx.
-- Locks:   none.
-- Raises:  TSV01 negative limit.
-- Writes:  nothing.

CREATE FUNCTION task_sync.pending(p_limit integer DEFAULT NULL)
RETURNS TABLE (
    work_order_id       bigint,
    order_number        text,
    definition_version  bigint,
    synced_version      bigint,
    pending_since       timestamptz
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;
    RETURN QUERY
        SELECT w.id, w.order_number, w.definition_version, w.synced_version, w.pending_since
        FROM task_sync.work_order w
        WHERE w.definition_version > w.synced_version
          AND task_sync._may_sync(w.status, w.approval_status)
        ORDER BY w.pending_since, w.id
        LIMIT p_limit;
END
$$;

COMMENT ON FUNCTION task_sync.pending(integer) IS 'Work orders that need a sync and may be synced, longest waiting first';
