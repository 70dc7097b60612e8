-- task_sync_internal._claim(p_work_order_ids bigint[]) -> (claimed bigint[], busy bigint[])
-- Claims these work orders for a batch sync, never waiting: locks, all SKIP LOCKED, the rows of
-- those that still need a sync and may be synced FOR NO KEY UPDATE (two syncs of one work order
-- run one after the other) and their generated drafts FOR UPDATE (a draft a planner holds, or that
-- an application's row points at with a foreign key check under way, is not waited for, and none
-- can point at a draft the sync removes before it commits). claimed: the work orders whose rows it
-- locked; busy: those of them with a draft it could not lock. The caller rolls back (a
-- subtransaction) when any is busy, so that no lock of a busy work order is kept, and claims the
-- free ones again. The one place a batch's claim is written (sync_pending).
-- Route rows are not locked here: the only write of a sync that needs one is a draft added for it
-- (its foreign key check), and those rows are held after the plan (_hold_route, SKIP LOCKED).
-- Updating or removing a draft checks no foreign key, and a route row being deleted sets its
-- drafts' process to NULL, which waits for the sync's lock on them (or they are busy here).
-- Locks:   as above, in that order.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._claim(p_work_order_ids bigint[], OUT claimed bigint[], OUT busy bigint[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    claimed := ARRAY(
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
          AND task_sync_internal._may_sync(w.status, w.approval_status)
          AND EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id)
        ORDER BY w.id
        FOR NO KEY UPDATE SKIP LOCKED);
    busy := ARRAY(
        WITH drafts AS MATERIALIZED (
            SELECT t.work_order_id, t.id
            FROM task_sync.task t
            WHERE t.work_order_id = ANY (claimed) AND t.origin = 'generated' AND t.status = 'draft'
        ),
        drafts_held AS MATERIALIZED (
            SELECT t.id
            FROM task_sync.task t
            WHERE t.work_order_id = ANY (claimed) AND t.origin = 'generated' AND t.status = 'draft'
            FOR UPDATE SKIP LOCKED
        )
        SELECT DISTINCT d.work_order_id FROM drafts d WHERE NOT EXISTS (SELECT FROM drafts_held h WHERE h.id = d.id));
END
$$;

COMMENT ON FUNCTION task_sync_internal._claim(bigint[]) IS
    'Claims work orders for a batch sync without waiting: the ones locked, and those of them busy';
