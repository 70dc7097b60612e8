-- task_sync_internal.tg_work_order__mark() -> trigger
-- Statement-level AFTER UPDATE trigger of work_order: marks the work orders whose generating
-- columns (order_number, production_quantity) changed. Status, approval and the engine's own
-- version columns do not mark, with one exception: a work order that may be synced again
-- (reopened: no longer approved, completed or cancelled) gets its parked marks back
-- (work_order_mark_parked, see sync_pending) as one mark of their weight, so that it is pending
-- for the changes made while it was closed, and is announced with NOTIFY task_sync.
-- An update of a sync itself (_applying(): only _apply can make it true) writes synced_version
-- alone: it marks and reopens nothing, and the trigger returns at once.
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books on behalf
-- of people's statements; a trigger function cannot be called directly, and it reads only the
-- statement's own transition tables.
-- Locks:   the parked marks it moves (the work order rows are already held by the UPDATE).
-- Raises:  nothing.
-- Writes:  work_order_mark (through _mark, and the parked marks moved back), work_order_mark_parked.

CREATE FUNCTION task_sync_internal.tg_work_order__mark()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SECURITY DEFINER
AS $$
DECLARE
    v_moved bigint[];   -- reopened work orders whose parked marks came back: announced
BEGIN
    IF task_sync_internal._applying() THEN
        RETURN NULL;
    END IF;
    PERFORM task_sync_internal._mark(ARRAY(
        SELECT n.id
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE (n.order_number, n.production_quantity) IS DISTINCT FROM (o.order_number, o.production_quantity)));
    WITH reopened AS (
        SELECT n.id
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE task_sync_internal._may_sync(n.status, n.approval_status)
          AND NOT task_sync_internal._may_sync(o.status, o.approval_status)
    ),
    unparked AS (
        DELETE FROM task_sync.work_order_mark_parked p
        USING reopened r
        WHERE p.work_order_id = r.id
        RETURNING p.work_order_id, p.weight, p.since
    ),
    moved AS (
        INSERT INTO task_sync.work_order_mark AS m (work_order_id, weight, marked_at)
        SELECT u.work_order_id, least(u.weight, 2147483647)::integer, u.since FROM unparked u
        ORDER BY u.work_order_id
        ON CONFLICT (work_order_id, xact) DO UPDATE
            SET weight = m.weight + excluded.weight, marked_at = least(m.marked_at, excluded.marked_at)
        RETURNING m.work_order_id
    )
    SELECT coalesce(array_agg(moved.work_order_id), '{}'::bigint[]) INTO v_moved FROM moved;
    PERFORM pg_notify('task_sync', r::text) FROM unnest(v_moved) AS r;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order__mark() IS
    'Marks work orders whose order_number or production_quantity changed; a reopened one gets its parked marks back (statement-level)';
