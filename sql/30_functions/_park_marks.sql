-- task_sync_internal._park_marks(p_limit integer DEFAULT 1000) -> integer
-- Moves the marks of work orders that may not be synced (approved, completed, cancelled) out of
-- work_order_mark into work_order_mark_parked, one row per work order with their weight and the
-- time of the oldest, so that rule and catalog changes that mark thousands of closed jobs neither
-- pile up marks nor slow the search for work to do (_queue). Reopening the work order brings
-- them back as one mark (tg_work_order__mark); until then definition_version counts them. At most
-- p_limit work orders per call, each held (its row locked SKIP LOCKED, FOR NO KEY UPDATE) so that
-- a reopening waits for the move; only marks committed before it are moved, one inserted meanwhile
-- stays for the next call. Returns how many work orders it parked marks of. Called by sync_pending.
-- Locks:   those work order rows FOR NO KEY UPDATE (SKIP LOCKED), the marks it moves.
-- Raises:  nothing.
-- Writes:  work_order_mark, work_order_mark_parked.

CREATE FUNCTION task_sync_internal._park_marks(p_limit integer DEFAULT 1000)
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
        WHERE w.id IN (SELECT m.work_order_id FROM task_sync.work_order_mark m)
          AND NOT task_sync_internal._may_sync(w.status, w.approval_status)
        ORDER BY w.id
        LIMIT p_limit
        FOR NO KEY UPDATE SKIP LOCKED);
    IF cardinality(v_closed) = 0 THEN
        RETURN 0;
    END IF;
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

COMMENT ON FUNCTION task_sync_internal._park_marks(integer) IS
    'Parks the marks of work orders that may not be synced, one row per work order (sync_pending calls it)';
