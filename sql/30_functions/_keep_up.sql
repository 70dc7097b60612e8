-- task_sync_internal._keep_up(p_step text, p_work_order_ids bigint[]) -> boolean
-- One of sync_pending's upkeeps of the marks, on these work orders, as a subtransaction:
--   park   _park_marks: the marks of those that may not be synced (closed jobs) parked;
--   fold   _fold_marks: the marks of each folded into one (the busy ones, and those passed over).
-- At REPEATABLE READ and SERIALIZABLE, a row of one of them changed since the snapshot makes the
-- step fail with 40001 (locking it cannot succeed in this transaction): the work orders _stale
-- finds changed are then left out (a later call, whose snapshot sees the change, does them) and the
-- step is tried once more, so that one work order changed after every call's snapshot never holds
-- back the others. A second failure leaves the step to a later call. A conflict of serializable
-- transactions (40001 with a 'Reason code:' detail) is raised: the caller retries.
-- Returns whether the step was done (one subtransaction kept, which sync_pending counts).
-- Locks:   those of the step; _stale's probes keep none.
-- Raises:  a conflict of serializable transactions; CASE_NOT_FOUND for a step it does not know.
-- Writes:  those of the step.

CREATE FUNCTION task_sync_internal._keep_up(p_step text, p_work_order_ids bigint[])
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids       bigint[] := p_work_order_ids;
    v_detail    text;
BEGIN
    FOR v_round IN 1 .. 2 LOOP
        BEGIN
            CASE p_step
                WHEN 'park' THEN
                    PERFORM task_sync_internal._park_marks(v_ids);
                WHEN 'fold' THEN
                    PERFORM task_sync_internal._fold_marks(v_ids);
            END CASE;
            RETURN true;
        EXCEPTION WHEN serialization_failure THEN
            GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
            IF v_detail LIKE 'Reason code:%' THEN
                RAISE;
            END IF;
        END;
        -- a row changed since the snapshot: the others without the work orders it belongs to
        v_ids := ARRAY(SELECT i FROM unnest(v_ids) AS i
                       EXCEPT
                       SELECT s FROM unnest(task_sync_internal._stale(v_ids)) AS s);
        EXIT WHEN cardinality(v_ids) = 0;
    END LOOP;
    RETURN false;
END
$$;

COMMENT ON FUNCTION task_sync_internal._keep_up(text, bigint[]) IS
    'Parks or folds the marks of these work orders (sync_pending), leaving out those changed since the snapshot';
