-- task_sync_internal._busy(p_work_order_ids bigint[]) -> bigint[]
-- Which of these work orders another session holds now, as sync_pending would find them busy:
-- its row locked (a sync of it, an open edit of the work order) or one of its generated drafts
-- (a planner's open edit, an application's foreign key check). It looks the way _claim does (row
-- locks SKIP LOCKED, FOR SHARE on the work orders and FOR UPDATE on the drafts) inside a
-- subtransaction it then rolls back, so that it keeps no lock and never waits. The drafts are
-- found by index once and locked where they lie (ctid): a draft another session changed and
-- committed while this statement ran counts as held, as it was a moment before. In a read-only
-- transaction (a hot standby) it cannot lock, and says nothing ('{}').
-- SECURITY DEFINER (owner's rights, search_path pinned): pending() runs it for readers, who may
-- not lock rows; it reveals only which work orders are held.
-- Locks:   none kept (row locks taken and released in a subtransaction, never waiting).
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._busy(p_work_order_ids bigint[])
RETURNS bigint[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_busy  bigint[] := '{}'::bigint[];
BEGIN
    IF coalesce(cardinality(p_work_order_ids), 0) = 0 OR current_setting('transaction_read_only')::boolean THEN
        RETURN v_busy;
    END IF;
    BEGIN
        v_busy := ARRAY(
            WITH free AS MATERIALIZED (
                SELECT w.id FROM task_sync.work_order w
                WHERE w.id = ANY (p_work_order_ids)
                FOR SHARE SKIP LOCKED
            ),
            drafts AS MATERIALIZED (
                SELECT t.work_order_id, t.id, t.ctid FROM task_sync.task t
                WHERE t.work_order_id = ANY (p_work_order_ids) AND t.origin = 'generated' AND t.status = 'draft'
            ),
            -- the same rows, by where they lie (a second search of the index cost each work order
            -- a descent at ten million tasks; with no other condition, a TID scan is the one path)
            drafts_free AS MATERIALIZED (
                SELECT t.id FROM task_sync.task t
                WHERE t.ctid = ANY (ARRAY(SELECT d.ctid FROM drafts d))
                FOR UPDATE SKIP LOCKED
            )
            SELECT i FROM unnest(p_work_order_ids) AS i WHERE NOT EXISTS (SELECT FROM free WHERE free.id = i)
            UNION
            SELECT d.work_order_id FROM drafts d WHERE NOT EXISTS (SELECT FROM drafts_free f WHERE f.id = d.id));
        RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'TSR01: looked';  -- roll back: keep no lock
    EXCEPTION
        WHEN SQLSTATE 'TSR01' THEN
            NULL;
        WHEN SQLSTATE '40001' THEN
            v_busy := '{}';     -- REPEATABLE READ: a row changed since the snapshot; nothing to say
    END;
    RETURN v_busy;
END
$$;

COMMENT ON FUNCTION task_sync_internal._busy(bigint[]) IS
    'Which of these work orders another session holds now (rows locked, never waiting, nothing kept)';
