-- task_sync.check_sync_needed(p_work_order_id bigint) -> boolean
-- True when an input of the work order changed since its last sync (definition_version >
-- synced_version). One primary-key lookup; the plan itself is not computed.
-- Locks:   none.
-- Raises:  TSV01 invalid id; TSN01 work order not found.
-- Writes:  nothing.

CREATE FUNCTION task_sync.check_sync_needed(p_work_order_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_wo task_sync.work_order := task_sync._work_order(p_work_order_id);
BEGIN
    RETURN v_wo.definition_version > v_wo.synced_version;
END
$$;

COMMENT ON FUNCTION task_sync.check_sync_needed(bigint) IS 'True when the work order''s inputs changed since its last sync';
