-- task_sync_internal._attempt(p_work_order_ids bigint[])
--   -> (synced task_sync_internal.synced[], busy bigint[], failed_state text, failed_message text,
--       failed_detail text)
-- Steps 2 to 4 of sync_pending for one group of work orders, as one subtransaction that is kept
-- only when it synced them:
--   2. claim   _claim, never waiting;
--   3. plan    the marks first, the plan after (see execute); a work order whose marks are gone was
--              synced by another session since the candidates were read: not this one's. The route
--              rows the plan adds drafts for are held (_hold_route);
--   4. apply   _apply.
-- The result says which of three things happened:
--   synced   the group is synced: one element per work order that still had marks (none when
--            another session synced them all);
--   busy     another session holds some of them (a sync of it, a planner's open edit of a draft, a
--            route row being deleted, an application's foreign key check on a draft): busy names
--            them, and the attempt is rolled back so that none of its locks is kept;
--   failed   anything else failed (an application's foreign key to a draft the sync must remove, a
--            trigger of one's own, ...): failed_state, failed_message and failed_detail say what,
--            and the attempt is rolled back. A serialization failure (40001) of a row changed
--            since the snapshot of a REPEATABLE READ or SERIALIZABLE transaction is a failure
--            too (failed_state 40001): the caller leaves the work order it was for to a later
--            call, whose snapshot sees the change.
-- Conflicts of serializable transactions (40001 with a 'Reason code:' detail), deadlocks (40P01),
-- lock timeouts (55P03), cancellation and errors of resources or of the server itself (classes 53,
-- 54, 57, 58, XX) are raised as they are: they are not one work order's doing, and end the call. (The exception caught here is how the
-- attempt is rolled back: in PL/pgSQL only a block that catches an exception undoes what it did,
-- row locks included. The caller reads the result.)
-- Locks:   those of _claim and _hold_route, kept only when the group is synced; the rows _apply
--          writes.
-- Raises:  as said above.
-- Writes:  through _apply, when the group is synced.

CREATE FUNCTION task_sync_internal._attempt(
    p_work_order_ids bigint[],
    OUT synced task_sync_internal.synced[], OUT busy bigint[],
    OUT failed_state text, OUT failed_message text, OUT failed_detail text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_claim     record;
    v_group     bigint[];
    v_marks     bigint[];
    v_rows      task_sync.plan_row[];
    v_route     bigint[];   -- the route rows the plan adds drafts for
BEGIN
    synced := '{}';
    BEGIN
        -- 2. claim
        v_claim := task_sync_internal._claim(p_work_order_ids);
        busy := v_claim.busy;
        -- 3. the marks first, the plan after
        IF cardinality(busy) = 0 THEN
            SELECT coalesce(array_agg(m.id), '{}'), coalesce(array_agg(DISTINCT m.work_order_id), '{}')
            INTO v_marks, v_group
            FROM task_sync.work_order_mark m
            WHERE m.work_order_id = ANY (v_claim.claimed);
        END IF;
        IF cardinality(busy) = 0 AND cardinality(v_group) > 0 THEN
            -- for a client that asked for DEBUG messages (the worker: which work orders a
            -- statement_timeout cut short)
            RAISE DEBUG USING MESSAGE = 'pytask_sync: syncing work orders', DETAIL = v_group::text;
            SELECT coalesce(array_agg(r), '{}'),
                   coalesce(array_agg(DISTINCT r.work_order_process_id) FILTER (WHERE r.action = 'add'), '{}')
            INTO v_rows, v_route
            FROM task_sync_internal._plan_rows(v_group) AS r;
            IF cardinality(v_route) > 0 THEN
                v_route := task_sync_internal._hold_route(v_group, v_route);
                -- (an anti-join: a test of each row against the array costs rows times route rows)
                busy := ARRAY(SELECT DISTINCT r.work_order_id
                              FROM unnest(v_rows) AS r
                              WHERE r.action = 'add'
                                AND NOT EXISTS (SELECT FROM unnest(v_route) AS h (id) WHERE h.id = r.work_order_process_id));
            END IF;
        END IF;
        IF cardinality(busy) > 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'TSR01: busy work orders';  -- roll back: keep no lock
        END IF;
        -- 4. apply
        IF cardinality(v_group) > 0 THEN
            synced := ARRAY(
                SELECT ROW(a.work_order_id, a.added, a.removed, a.updated, a.conflicts,
                           a.sync_run_id)::task_sync_internal.synced
                FROM task_sync_internal._apply(v_group, v_rows, false, false, 'sync_pending', v_marks) AS a);
        END IF;
    EXCEPTION
        WHEN SQLSTATE 'TSR01' THEN
            NULL;   -- busy says which
        WHEN SQLSTATE '40001' THEN
            GET STACKED DIAGNOSTICS failed_state = RETURNED_SQLSTATE, failed_message = MESSAGE_TEXT,
                                    failed_detail = PG_EXCEPTION_DETAIL;
            -- a row of the group changed since the transaction's snapshot (REPEATABLE READ,
            -- SERIALIZABLE): the caller leaves the one it was for to a later call. A conflict of
            -- serializable transactions (its detail, never translated, begins 'Reason code:') is
            -- the caller's to retry.
            IF failed_detail LIKE 'Reason code:%' THEN
                RAISE;
            END IF;
            synced := '{}';
        WHEN SQLSTATE '40P01' OR SQLSTATE '55P03' THEN
            RAISE;  -- the caller's to retry
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS failed_state = RETURNED_SQLSTATE, failed_message = MESSAGE_TEXT,
                                    failed_detail = PG_EXCEPTION_DETAIL;
            IF left(failed_state, 2) IN ('53', '54', '57', '58', 'XX') THEN
                RAISE;  -- resources, or the server itself: not one work order's doing
            END IF;
            synced := '{}';
    END;
END
$$;

COMMENT ON FUNCTION task_sync_internal._attempt(bigint[]) IS
    'One group of sync_pending: claim, plan, apply, kept only when synced; says which were busy or what failed';
