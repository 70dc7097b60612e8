-- task_sync.check_sync_needed(p_work_order_id bigint) -> boolean
-- True when an input of the work order changed since its last sync: it has a mark
-- (definition_version > synced_version). Three primary-key lookups (marks waiting, parked or not); the plan is not computed.
-- Locks:   none.
-- Raises:  TSV01 invalid id; TSN01 work order not found.
-- Writes:  nothing.

CREATE FUNCTION task_sync.check_sync_needed(p_work_order_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync_internal._work_order(p_work_order_id);
    RETURN EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id)
        OR EXISTS (SELECT FROM task_sync.work_order_mark_parked p WHERE p.work_order_id = p_work_order_id);
END
$$;

COMMENT ON FUNCTION task_sync.check_sync_needed(bigint) IS
    'check_sync_needed(p_work_order_id) -> boolean: true when the work order''s inputs changed since '
    'its last sync. TSV01: invalid id; TSN01: work order not found';
