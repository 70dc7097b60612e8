-- task_sync.prune_history(p_older_than interval) -> bigint
-- The audit's retention: removes the sync_run rows older than p_older_than (ran_at before now()
-- minus it) with their sync_item rows, and returns how many sync_run rows it removed. The audit is
-- the only book that grows with every sync (see docs/reference.md, "How big the books grow"):
-- schedule this, e.g. daily with pg_cron as the schema owner (docs/reference.md has the recipe).
-- It works in batches of 1,000 runs (their items first, by the key they are stored under), one
-- statement each, so no statement holds many rows or runs long; the only locks are the row locks
-- of the rows it deletes, which nothing else ever locks (syncs only insert audit rows), so it
-- holds back no sync, edit or reader, however long the call. Schema owner only (no role is
-- granted EXECUTE): the audit is the owner's to cut.
-- Locks:   the audit rows it deletes.
-- Raises:  TSV01 a null or negative interval; TSC07 a read-only transaction.
-- Writes:  sync_run, sync_item.

CREATE FUNCTION task_sync.prune_history(p_older_than interval)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_batch     CONSTANT integer := 1000;
    v_before    timestamptz;
    v_runs      bigint := 0;
    v_done      integer;
    v_seen      integer;
    v_last      bigint := -9223372036854775808;    -- the highest run id looked at: each batch starts after it
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.prune_history');
    IF p_older_than IS NULL OR p_older_than < interval '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: invalid interval: %s', coalesce(p_older_than::text, 'NULL')),
            HINT = 'Pass how old a sync must be to go, e.g. interval ''90 days''.';
    END IF;
    v_before := now() - p_older_than;
    LOOP
        -- after the last run id looked at: the rows deleted before in this call are still in the
        -- index (and visible to other sessions), and a search from the lowest id read all of them
        -- again, batch after batch
        WITH runs AS MATERIALIZED (
            SELECT s.work_order_id, s.id
            FROM task_sync.sync_run s
            WHERE s.ran_at < v_before AND s.id > v_last
            ORDER BY s.id
            LIMIT c_batch
        ),
        items AS (
            DELETE FROM task_sync.sync_item i
            USING runs r
            WHERE i.work_order_id = r.work_order_id AND i.sync_run_id = r.id
        ),
        gone AS (
            DELETE FROM task_sync.sync_run s
            USING runs r
            WHERE s.work_order_id = r.work_order_id AND s.id = r.id
            RETURNING s.id
        )
        SELECT (SELECT count(*) FROM gone), count(*), max(r.id) FROM runs r
        INTO v_done, v_seen, v_last;
        v_runs := v_runs + v_done;
        EXIT WHEN v_seen < c_batch;
    END LOOP;
    RETURN v_runs;
END
$$;

COMMENT ON FUNCTION task_sync.prune_history(interval) IS
    'prune_history(p_older_than) -> bigint: removes the syncs older than p_older_than from the audit '
    '(sync_run and their sync_item rows) in batches, returns how many sync_run rows went. Owner only. '
    'TSV01: null or negative interval; TSC07: a read-only transaction';
