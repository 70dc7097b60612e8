-- task_sync.pending(p_limit integer DEFAULT NULL)
--   -> setof (work_order_id, order_number, definition_version, synced_version, pending_since)
-- Work orders that need a sync and may be synced (not approved, not completed or cancelled),
-- the one waiting longest first; at most p_limit of them (NULL: all). definition_version is
-- synced_version plus the marks waiting; pending_since is when the oldest of them was made.
-- Reads work_order_mark, which holds only what is not synced yet.
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
        SELECT w.id, w.order_number, w.synced_version + m.n, w.synced_version, m.since
        FROM (SELECT x.work_order_id, count(*) AS n, min(x.marked_at) AS since
              FROM task_sync.work_order_mark x
              GROUP BY x.work_order_id) m
        JOIN task_sync.work_order w ON w.id = m.work_order_id
        WHERE task_sync_internal._may_sync(w.status, w.approval_status)
        ORDER BY m.since, w.id
        LIMIT p_limit;
END
$$;

COMMENT ON FUNCTION task_sync.pending(integer) IS
    'pending(p_limit NULL) -> rows: work orders that need a sync and may be synced, longest waiting '
    'first (at most p_limit; NULL: all). TSV01: negative limit';
