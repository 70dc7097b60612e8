-- task_sync_internal._mark(p_work_order_ids bigint[]) -> integer
-- Records that these work orders need a sync: inserts one mark per work order and transaction
-- (work_order_mark; a second mark in the same transaction is folded into the first). A work order
-- that was not pending before (no mark this transaction can see) is announced with NOTIFY
-- task_sync and its id, delivered at commit; one that already waits for a sync is not announced
-- again: a transaction that NOTIFYs takes a lock at commit that every other notifying transaction
-- of the database waits for, so a NOTIFY for every edit would make edits of different work orders
-- commit one at a time (the worker polls as well, see pytask_sync.worker). At READ COMMITTED
-- "pending before" is read with a snapshot taken after this transaction has its id: so if a sync
-- takes the mark seen and not this one, this transaction was in progress when that sync committed,
-- which is what the worker watches for (it looks again when such a transaction ends). At REPEATABLE
-- READ and SERIALIZABLE the snapshot can be older than the id, so every first mark of the
-- transaction is announced. Ids of work orders that do not exist (or that this transaction
-- deleted) are ignored. Returns how many work orders it marked for the first time in this
-- transaction.
-- Locks:   none beyond the inserted marks: the work order row is not touched, so marking adds no
--          lock dependency to the edit that fires it (a sync of the same work order runs on).
-- Raises:  nothing.
-- Writes:  work_order_mark.

CREATE FUNCTION task_sync_internal._mark(p_work_order_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count     integer;
    v_first     bigint[];   -- marked and not pending before: announced
BEGIN
    IF coalesce(cardinality(p_work_order_ids), 0) = 0 THEN
        RETURN 0;
    END IF;
    PERFORM pg_current_xact_id();  -- the id first, then the snapshot that reads the marks
    WITH added AS (
        INSERT INTO task_sync.work_order_mark (work_order_id)
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
        ORDER BY w.id
        ON CONFLICT (work_order_id, xact) DO NOTHING
        RETURNING work_order_id
    )
    -- the marks this statement inserted are not visible here: an earlier one means "pending already"
    SELECT count(*), coalesce(array_agg(a.work_order_id ORDER BY a.work_order_id) FILTER (
               WHERE current_setting('transaction_isolation') <> 'read committed'
                  OR NOT EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = a.work_order_id)),
               '{}'::bigint[])
    INTO v_count, v_first
    FROM added a;
    PERFORM pg_notify('task_sync', f::text) FROM unnest(v_first) AS f;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync_internal._mark(bigint[]) IS
    'Marks these work orders as needing a sync (one mark per transaction); notifies task_sync of those not pending before';
