-- task_sync_internal._record_failure(p_work_order_id bigint, p_sqlstate text, p_message text,
--                                    p_detail text) -> void
-- Records that sync_pending could not sync this work order (sync_failure): the error, when, how
-- many times in a row, and until when sync_pending passes over it: a pause that doubles with each
-- failure, from one minute up to an hour; a change of its inputs (a definition_version past the
-- one recorded) ends the pause at once. The work order stays pending; pending() shows the error.
-- Locks:   its sync_failure row.
-- Raises:  nothing.
-- Writes:  sync_failure.

CREATE FUNCTION task_sync_internal._record_failure(
    p_work_order_id bigint, p_sqlstate text, p_message text, p_detail text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO task_sync.sync_failure AS f (
        work_order_id, failed_at, sqlstate, message, detail, failures, retry_after, definition_version)
    SELECT w.id, clock_timestamp(), p_sqlstate, p_message, p_detail, 1, clock_timestamp() + interval '1 minute',
           w.synced_version + coalesce((SELECT sum(m.weight) FROM task_sync.work_order_mark m
                                        WHERE m.work_order_id = w.id), 0)
    FROM task_sync.work_order w
    WHERE w.id = p_work_order_id
    ON CONFLICT (work_order_id) DO UPDATE SET
        failed_at = excluded.failed_at,
        sqlstate = excluded.sqlstate,
        message = excluded.message,
        detail = excluded.detail,
        failures = f.failures + 1,
        retry_after = excluded.failed_at + least(interval '1 hour', interval '1 minute' * 2 ^ least(f.failures, 6)),
        definition_version = excluded.definition_version;
$$;

COMMENT ON FUNCTION task_sync_internal._record_failure(bigint, text, text, text) IS
    'Records a failed batch sync of a work order (sync_failure) and how long sync_pending passes over it';
