-- task_sync._mark(p_work_order_ids bigint[]) -> integer
-- Records that these work orders need a sync: raises definition_version by one each, sets
-- pending_since when a work order goes from synced to pending, and sends NOTIFY task_sync with
-- each work order id (delivered at commit; repeats within a transaction are folded); returns how
-- many work orders it marked. Rows are
-- locked in id order, so two statements marking overlapping sets cannot deadlock each other.
-- Locks:   the work order rows FOR NO KEY UPDATE (waits for a sync of the same work order).
-- Raises:  nothing.
-- Writes:  work_order (definition_version, pending_since).

CREATE FUNCTION task_sync._mark(p_work_order_ids bigint[])
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
    WITH locked AS (
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
        ORDER BY w.id
        FOR NO KEY UPDATE
    ),
    bumped AS (
        UPDATE task_sync.work_order w
        SET definition_version = w.definition_version + 1,
            pending_since = CASE WHEN w.definition_version = w.synced_version OR w.pending_since IS NULL
                                 THEN now() ELSE w.pending_since END
        FROM locked
        WHERE w.id = locked.id
        RETURNING w.id
    )
    SELECT count(pg_notify('task_sync', bumped.id::text)) INTO v_count FROM bumped;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync._mark(bigint[]) IS 'Raises definition_version of these work orders once and notifies task_sync';
