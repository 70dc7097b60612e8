-- task_sync_internal._park_marks(p_work_order_ids bigint[]) -> integer
-- Moves the marks of work orders that may not be synced (approved, completed, cancelled) out of
-- work_order_mark into work_order_mark_parked, one row per work order with their weight and the
-- time of the oldest, so that rule and catalog changes that mark thousands of closed jobs neither
-- pile up marks nor slow the search for work to do (_queue). Reopening the work order brings
-- them back as one mark (tg_work_order__mark); until then definition_version counts them. Of the
-- work orders p_work_order_ids (sync_pending finds them as it reads what waits), those that may not
-- be synced now are held (their rows locked SKIP LOCKED, FOR NO KEY UPDATE) so that a reopening
-- waits for the move; only marks committed before it are moved, one inserted meanwhile stays for
-- the next call. Returns how many work orders it parked marks of.
-- Locks:   those work order rows FOR NO KEY UPDATE (SKIP LOCKED), then updates them (a new
--          version, same values), the marks it moves.
-- Raises:  nothing.
-- Writes:  work_order_mark, work_order_mark_parked, work_order (a new version of the rows, same values).

CREATE FUNCTION task_sync_internal._park_marks(p_work_order_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_closed    bigint[];
    v_parked    integer;
BEGIN
    v_closed := ARRAY(
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
          AND NOT task_sync_internal._may_sync(w.status, w.approval_status)
        ORDER BY w.id
        FOR NO KEY UPDATE SKIP LOCKED);
    IF cardinality(v_closed) = 0 THEN
        RETURN 0;
    END IF;
    -- a new version of each row, not only a lock: a reopening that waited for this transaction
    -- then re-reads the row (READ COMMITTED), or fails with a serialization error to be retried
    -- (REPEATABLE READ, SERIALIZABLE), so that it always sees the marks parked here and brings
    -- them back; with a mere lock, a reopening at REPEATABLE READ missed them and the work order
    -- was open with its changes parked, pending nowhere
    UPDATE task_sync.work_order w SET synced_version = w.synced_version WHERE w.id = ANY (v_closed);
    WITH taken AS (
        DELETE FROM task_sync.work_order_mark m
        WHERE m.work_order_id = ANY (v_closed)
        RETURNING m.work_order_id, m.weight, m.marked_at
    )
    INSERT INTO task_sync.work_order_mark_parked AS p (work_order_id, weight, since)
    SELECT t.work_order_id, sum(t.weight), min(t.marked_at)
    FROM taken t
    GROUP BY t.work_order_id
    ON CONFLICT (work_order_id) DO UPDATE
        SET weight = p.weight + excluded.weight, since = least(p.since, excluded.since);
    GET DIAGNOSTICS v_parked = ROW_COUNT;
    RETURN v_parked;
END
$$;

COMMENT ON FUNCTION task_sync_internal._park_marks(bigint[]) IS
    'Parks the marks of these work orders that may not be synced, one row per work order (sync_pending calls it)';
