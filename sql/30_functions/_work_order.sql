-- task_sync_internal._work_order(p_work_order_id bigint) -> task_sync.work_order
-- The work order row, read without a lock, for the read-only functions.
-- Locks:   none.
-- Raises:  TSV01 invalid id; TSN01 work order not found.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._work_order(p_work_order_id bigint)
RETURNS task_sync.work_order
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_wo task_sync.work_order;
BEGIN
    PERFORM task_sync_internal._check_work_order_id(p_work_order_id);
    SELECT * INTO v_wo FROM task_sync.work_order WHERE id = p_work_order_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSN01',
            MESSAGE = format('TSN01: work order %s not found', p_work_order_id);
    END IF;
    RETURN v_wo;
END
$$;

COMMENT ON FUNCTION task_sync_internal._work_order(bigint) IS 'The work order row; TSV01 for a bad id, TSN01 when absent';
