-- task_sync_internal._mark(p_work_order_ids bigint[]) -> integer
-- Records that these work orders need a sync: inserts one mark per work order and transaction
-- (work_order_mark; a second mark in the same transaction is folded into the first) and sends
-- NOTIFY task_sync with each work order id (delivered at commit; repeats within a transaction are
-- folded). Ids of work orders that do not exist (or that this transaction deleted) are ignored.
-- Returns how many work orders it marked for the first time in this transaction.
-- Locks:   none beyond the inserted marks: the work order row is not touched, so marking adds no
--          lock dependency to the edit that fires it (a sync of the same work order runs on).
-- Raises:  nothing.
-- Writes:  work_order_mark.

CREATE FUNCTION task_sync_internal._mark(p_work_order_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    IF coalesce(cardinality(p_work_order_ids), 0) = 0 THEN
        RETURN 0;
    END IF;
    WITH added AS (
        INSERT INTO task_sync.work_order_mark (work_order_id)
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
        ORDER BY w.id
        ON CONFLICT (work_order_id, xact) DO NOTHING
        RETURNING work_order_id
    )
    -- a work order marked earlier in this transaction was notified then
    SELECT count(pg_notify('task_sync', added.work_order_id::text)) INTO v_count FROM added;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync_internal._mark(bigint[]) IS
    'Marks these work orders as needing a sync (one mark per transaction) and notifies task_sync';
