-- task_sync_internal._record_failure(p_work_order_id bigint, p_sqlstate text, p_message text,
--                                    p_detail text) -> void
-- Records that sync_pending could not sync this work order (sync_failure): the error, when, how
-- many times in a row, what to do, and until when sync_pending passes over it: a pause that
-- doubles with each failure, from one minute up to an hour; a change of its inputs (a
-- definition_version past the one recorded) ends the pause at once. SQLSTATE 57014 (a
-- statement_timeout the caller named the work order for, _record_too_big) is recorded as too_big.
-- The work order stays pending; pending() shows why. Its marks are folded into one (_fold_marks),
-- so that a work order that keeps failing keeps one mark, not one per edit.
-- The work order's row is taken first (FOR NO KEY UPDATE SKIP LOCKED) and kept to the end of the
-- transaction, as a sync keeps it: every writer of a sync_failure row holds that row, so a batch
-- never waits for another's failure row (two batches recording each other's failures, each in an
-- open transaction, deadlocked on them). When another session holds it, nothing is recorded: that
-- session is syncing it, or will record its failure.
-- Locks:   the work order row FOR NO KEY UPDATE (SKIP LOCKED), then its sync_failure row and marks.
-- Raises:  nothing.
-- Writes:  sync_failure, work_order_mark (through _fold_marks).

CREATE FUNCTION task_sync_internal._record_failure(
    p_work_order_id bigint, p_sqlstate text, p_message text, p_detail text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_too_big   boolean := p_sqlstate = '57014';
BEGIN
    PERFORM FROM task_sync.work_order w
    WHERE w.id = p_work_order_id AND task_sync_internal._may_sync(w.status, w.approval_status)
    FOR NO KEY UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM task_sync_internal._fold_marks(ARRAY[p_work_order_id]);
    INSERT INTO task_sync.sync_failure AS f (
        work_order_id, failed_at, sqlstate, message, detail, failures, retry_after, definition_version, reason, advice)
    SELECT w.id, clock_timestamp(), p_sqlstate, p_message, p_detail, 1, clock_timestamp() + interval '1 minute',
           w.synced_version + coalesce((SELECT sum(m.weight) FROM task_sync.work_order_mark m
                                        WHERE m.work_order_id = w.id), 0),
           CASE WHEN v_too_big THEN 'too_big' ELSE 'failed' END,
           CASE WHEN v_too_big
                THEN format('Sync it with task_sync.execute(%s, true) under a longer statement_timeout (or none), '
                            'or give sync_pending''s callers a longer one; sync_pending tries it again after '
                            'retry_after or when its inputs change.', w.id)
                ELSE format('Remove the cause of the error (an application''s row that points at a draft the sync '
                            'must remove, a trigger of one''s own, ...), then change an input of the work order or '
                            'run task_sync.execute(%s, true); sync_pending tries it again after retry_after.', w.id)
           END
    FROM task_sync.work_order w
    WHERE w.id = p_work_order_id
    ON CONFLICT (work_order_id) DO UPDATE SET
        failed_at = excluded.failed_at,
        sqlstate = excluded.sqlstate,
        message = excluded.message,
        detail = excluded.detail,
        failures = f.failures + 1,
        retry_after = excluded.failed_at + least(interval '1 hour', interval '1 minute' * 2 ^ least(f.failures, 6)),
        definition_version = excluded.definition_version,
        reason = excluded.reason,
        advice = excluded.advice;
END
$$;

COMMENT ON FUNCTION task_sync_internal._record_failure(bigint, text, text, text) IS
    'Records a failed batch sync of a work order (sync_failure), holding its row, and how long sync_pending passes over it';
