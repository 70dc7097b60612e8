-- task_sync_internal._record_too_big(p_work_order_id bigint) -> boolean
-- Records that this work order's sync alone outlasted the caller's statement_timeout: a batch of
-- it alone was cancelled (the worker and `pytask-sync sync-pending` name it from sync_pending's
-- DEBUG message and call this at once, on the same connection, with the same statement_timeout).
-- It is recorded in sync_failure as reason too_big, with the limit it hit, and sync_pending passes
-- over it as over a failure (_record_failure: until retry_after, or a change of its inputs), so
-- that pending() says why it stays pending and what to do. Only a work order that is pending and
-- may be synced is recorded; returns whether it was (false too when another session holds it).
-- SECURITY DEFINER (owner's rights, search_path pinned): writers may call it, as they call
-- sync_pending; it writes only what sync_pending would write for a failure of that work order.
-- Locks:   as _record_failure.
-- Raises:  TSC07 a read-only transaction.
-- Writes:  sync_failure, work_order_mark (through _record_failure).

CREATE FUNCTION task_sync_internal._record_too_big(p_work_order_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.sync_pending');
    IF NOT EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id) THEN
        RETURN false;
    END IF;
    PERFORM task_sync_internal._record_failure(
        p_work_order_id, '57014',
        format('its sync alone takes longer than statement_timeout (%s)', current_setting('statement_timeout')),
        'A batch of this work order alone was cancelled by statement_timeout.');
    RETURN EXISTS (SELECT FROM task_sync.sync_failure f
                   WHERE f.work_order_id = p_work_order_id AND f.reason = 'too_big');
END
$$;

COMMENT ON FUNCTION task_sync_internal._record_too_big(bigint) IS
    'Records that a work order''s sync alone outlasts the caller''s statement_timeout (sync_failure, too_big)';
