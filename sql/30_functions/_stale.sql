-- task_sync_internal._stale(p_work_order_ids bigint[]) -> bigint[]
-- Which of these work orders changed since the snapshot of a REPEATABLE READ or SERIALIZABLE
-- transaction, as _claim would meet them: a new version of its row, or of one of its generated
-- drafts, committed after the snapshot (locking such a row fails with 40001, SKIP LOCKED or not).
-- Each work order is probed alone, the way _claim locks it, in a subtransaction rolled back at
-- once: it keeps no lock and never waits (rows locked now are skipped: busy is _claim's to say).
-- sync_pending probes a small group whose attempt failed with 40001, and tries it again without
-- the ones found; a row it does not probe (a route row, a mark) leaves the group to be halved.
-- At READ COMMITTED nothing is stale ('{}'); each probe takes a transaction id of its own.
-- Locks:   none kept (row locks taken and released in a subtransaction, never waiting).
-- Raises:  a conflict of serializable transactions (40001 with a 'Reason code:' detail).
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._stale(p_work_order_ids bigint[])
RETURNS bigint[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id        bigint;
    v_stale     bigint[] := '{}'::bigint[];
    v_detail    text;
BEGIN
    IF current_setting('transaction_isolation') = 'read committed' THEN
        RETURN v_stale;
    END IF;
    FOREACH v_id IN ARRAY p_work_order_ids LOOP
        BEGIN
            PERFORM FROM task_sync.work_order w WHERE w.id = v_id FOR NO KEY UPDATE SKIP LOCKED;
            PERFORM FROM task_sync.task t
            WHERE t.work_order_id = v_id AND t.origin = 'generated' AND t.status = 'draft'
            FOR UPDATE SKIP LOCKED;
            RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'TSR01: probed';  -- roll back: keep no lock
        EXCEPTION
            WHEN SQLSTATE 'TSR01' THEN
                NULL;
            WHEN SQLSTATE '40001' THEN
                GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
                IF v_detail LIKE 'Reason code:%' THEN
                    RAISE;  -- a conflict of serializable transactions: the caller's to retry
                END IF;
                v_stale := v_stale || v_id;
        END;
    END LOOP;
    RETURN v_stale;
END
$$;

COMMENT ON FUNCTION task_sync_internal._stale(bigint[]) IS
    'Which of these work orders changed since the transaction''s snapshot (REPEATABLE READ), probed as _claim locks';
