-- task_sync_internal._fold_marks(p_work_order_ids bigint[]) -> integer
-- Folds the marks of these work orders into one mark each (their weight summed, the time of the
-- oldest kept), for work orders that stay pending because their sync fails or is paused: their
-- inputs keep changing, each editing transaction adds a mark, and nothing takes them in. Folded
-- whenever sync_pending records such a failure or meets the work order paused, a failing work
-- order holds one mark plus one per transaction that edited it since the last sync_pending call.
-- definition_version (synced_version plus the weight of the marks) does not change. Only the work
-- orders whose rows it can take now (FOR NO KEY UPDATE SKIP LOCKED, kept to the end of the
-- transaction, as a sync takes them: a sync reads and deletes marks under that lock) and that have
-- more than one committed mark are folded; marks of transactions still open stay as they are.
-- Locks:   those work order rows FOR NO KEY UPDATE (SKIP LOCKED), the marks it folds.
-- Raises:  nothing.
-- Writes:  work_order_mark.

CREATE FUNCTION task_sync_internal._fold_marks(p_work_order_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_many      bigint[];
    v_held      bigint[];
    v_folded    integer;
BEGIN
    v_many := ARRAY(
        SELECT m.work_order_id
        FROM task_sync.work_order_mark m
        WHERE m.work_order_id = ANY (p_work_order_ids)
        GROUP BY m.work_order_id
        HAVING count(*) > 1);
    IF cardinality(v_many) = 0 THEN
        RETURN 0;
    END IF;
    v_held := ARRAY(
        SELECT w.id FROM task_sync.work_order w
        WHERE w.id = ANY (v_many)
        ORDER BY w.id
        FOR NO KEY UPDATE SKIP LOCKED);
    WITH taken AS (
        DELETE FROM task_sync.work_order_mark m
        WHERE m.work_order_id = ANY (v_held)
        RETURNING m.work_order_id, m.weight, m.marked_at
    )
    INSERT INTO task_sync.work_order_mark AS k (work_order_id, weight, marked_at)
    SELECT t.work_order_id, sum(t.weight), min(t.marked_at)
    FROM taken t
    GROUP BY t.work_order_id
    ON CONFLICT (work_order_id, xact) DO UPDATE
        SET weight = k.weight + excluded.weight, marked_at = least(k.marked_at, excluded.marked_at);
    GET DIAGNOSTICS v_folded = ROW_COUNT;
    RETURN v_folded;
END
$$;

COMMENT ON FUNCTION task_sync_internal._fold_marks(bigint[]) IS
    'Folds the marks of these work orders into one each (those whose sync fails or is paused)';
