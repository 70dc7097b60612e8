-- task_sync_internal._check_work_order_id(p_work_order_id bigint) -> void
-- Refuses an id that cannot name a work order (null, zero or negative) before anything is read.
-- Locks:   none.
-- Raises:  TSV01 invalid argument.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._check_work_order_id(p_work_order_id bigint)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_work_order_id IS NULL OR p_work_order_id <= 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: invalid work order id: %s', coalesce(p_work_order_id::text, 'NULL')),
            HINT = 'A work order id is a positive bigint.';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._check_work_order_id(bigint) IS 'Raises TSV01 for a null or non-positive work order id';
