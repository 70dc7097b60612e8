-- task_sync.sync_pending(p_limit integer DEFAULT NULL)
--   -> setof (work_order_id, added, removed, updated, conflicts, sync_run_id)
-- Syncs the work orders that need it (at most p_limit, NULL: all), the one waiting longest
-- first, set-based: the desired sets, differences and writes of a chunk of up to 500 work orders
-- are a few statements, not a loop over execute. It never waits for a lock another session
-- holds: a work order whose row, route rows or generated task rows someone else holds right now
-- (a sync of it, a planner's open edit of a draft, a route row being deleted) is left pending for
-- a later call, and the call goes on with the next ones, so several workers can run it at once
-- and split the work. Work orders that may not be synced are left out. A mark committed while
-- the batch runs stays (see _apply): versions decide, nothing is lost. One sync_run per work
-- order that changed.
-- Work orders are claimed chunk by chunk, each chunk when its turn comes; the locks of a chunk
-- attempt that found busy work orders are released (a subtransaction) before the free ones are
-- claimed again, so a busy work order is never held. The locks of synced work orders last until
-- the caller's transaction ends: to keep that short for a large backlog, call it with a limit in
-- a transaction of its own, again while it returns rows (the CLI and the worker do).
-- SECURITY DEFINER (owner's rights, search_path pinned), like execute and for the same reason.
-- Locks:   per chunk, all SKIP LOCKED (never waiting): the work order rows FOR NO KEY UPDATE, their
--          route rows FOR KEY SHARE, their generated task rows FOR NO KEY UPDATE; after the plan,
--          the route rows it adds drafts for FOR KEY SHARE again (a route row added after the claim
--          is not held until then; one deleted or held by then leaves its work order pending).
-- Raises:  TSV01 negative limit.
-- Writes:  task, task_dismissal, work_order_mark, work_order, sync_run (through _apply).

CREATE FUNCTION task_sync.sync_pending(p_limit integer DEFAULT NULL)
RETURNS TABLE (
    work_order_id   bigint,
    added           integer,
    removed         integer,
    updated         integer,
    conflicts       integer,
    sync_run_id     bigint
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Hash joins for the batch: the task rows a chunk writes were often inserted by an earlier chunk
-- of the same transaction, which statistics cannot know about yet; planned as a tiny table, a
-- nested loop over it goes quadratic (measured: 4.6 s instead of 0.3 s for the second chunk of
-- 500 work orders). Every scan is still bounded by work_order_id = ANY (chunk).
SET enable_nestloop = off
-- a plan that still needs a nested loop carries the planner's disable cost (1e10), which would
-- start JIT compilation (~0.7 s per statement measured on PostgreSQL 15 with LLVM): never worth it here
SET jit = off
AS $$
DECLARE
    c_chunk CONSTANT integer := 500;
    v_left  integer := p_limit;         -- how many more may be synced (NULL: no limit)
    v_seen  bigint[] := '{}'::bigint[]; -- tried in this call: synced or left as busy
    v_try   bigint[];
    v_chunk bigint[];
    v_busy  bigint[];
    v_marks bigint[];
    v_rows  task_sync.plan_row[];
    v_route bigint[];                   -- the route rows a chunk's plan adds drafts for
    v_held  bigint[];                   -- those of them locked now
BEGIN
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;

    WHILE v_left IS NULL OR v_left > 0 LOOP
        -- the next candidates, longest waiting first, read without locking
        v_try := ARRAY(
            SELECT m.work_order_id
            FROM (SELECT x.work_order_id, min(x.marked_at) AS since
                  FROM task_sync.work_order_mark x
                  GROUP BY x.work_order_id) m
            JOIN task_sync.work_order w ON w.id = m.work_order_id
            WHERE task_sync_internal._may_sync(w.status, w.approval_status)
              AND m.work_order_id <> ALL (v_seen)
            ORDER BY m.since, m.work_order_id
            LIMIT least(c_chunk, coalesce(v_left, c_chunk)));
        EXIT WHEN cardinality(v_try) = 0;
        v_seen := v_seen || v_try;

        -- claim what is free; a busy work order is dropped and the rest claimed again, with the
        -- locks of the failed attempt released (each attempt drops at least one, so this ends)
        LOOP
            EXIT WHEN cardinality(v_try) = 0;
            BEGIN
                v_chunk := ARRAY(
                    SELECT w.id
                    FROM task_sync.work_order w
                    WHERE w.id = ANY (v_try)
                      AND task_sync_internal._may_sync(w.status, w.approval_status)
                      AND EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id)
                    ORDER BY w.id
                    FOR NO KEY UPDATE SKIP LOCKED);
                v_busy := ARRAY(
                    WITH route AS MATERIALIZED (
                        SELECT p.work_order_id, p.id
                        FROM task_sync.work_order_process p
                        WHERE p.work_order_id = ANY (v_chunk)
                    ),
                    route_held AS MATERIALIZED (
                        SELECT p.id
                        FROM task_sync.work_order_process p
                        WHERE p.work_order_id = ANY (v_chunk)
                        FOR KEY SHARE SKIP LOCKED
                    ),
                    gen AS MATERIALIZED (
                        SELECT t.work_order_id, t.id
                        FROM task_sync.task t
                        WHERE t.work_order_id = ANY (v_chunk) AND t.origin = 'generated'
                    ),
                    gen_held AS MATERIALIZED (
                        SELECT t.id
                        FROM task_sync.task t
                        WHERE t.work_order_id = ANY (v_chunk) AND t.origin = 'generated'
                        FOR NO KEY UPDATE SKIP LOCKED
                    )
                    SELECT r.work_order_id FROM route r WHERE NOT EXISTS (SELECT FROM route_held h WHERE h.id = r.id)
                    UNION
                    SELECT g.work_order_id FROM gen g WHERE NOT EXISTS (SELECT FROM gen_held h WHERE h.id = g.id));
                IF cardinality(v_busy) > 0 THEN
                    v_try := ARRAY(SELECT c FROM unnest(v_chunk) AS c WHERE c <> ALL (v_busy));
                    RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'busy work orders: claim again';
                END IF;
                v_try := '{}';
                -- the marks first, the plan after (see execute); a work order whose marks are gone
                -- was synced by another session since the candidates were read: not this one's
                SELECT coalesce(array_agg(m.id), '{}'), coalesce(array_agg(DISTINCT m.work_order_id), '{}')
                INTO v_marks, v_chunk
                FROM task_sync.work_order_mark m
                WHERE m.work_order_id = ANY (v_chunk);
                IF cardinality(v_chunk) > 0 THEN
                    SELECT coalesce(array_agg(r), '{}'),
                           coalesce(array_agg(DISTINCT r.work_order_process_id) FILTER (WHERE r.action = 'add'), '{}')
                    INTO v_rows, v_route
                    FROM task_sync_internal._plan_rows(v_chunk) AS r;
                    -- the route rows the plan adds drafts for: one added since the claim is not held
                    -- yet, one deleted since the plan was read is gone (its drafts would fail their
                    -- foreign key); such a work order is busy: claim again without it (it stays
                    -- pending, the route change marked it)
                    IF cardinality(v_route) > 0 THEN
                        v_held := ARRAY(
                            SELECT p.id
                            FROM task_sync.work_order_process p
                            WHERE p.work_order_id = ANY (v_chunk) AND p.id = ANY (v_route)
                            FOR KEY SHARE SKIP LOCKED);
                        IF cardinality(v_held) < cardinality(v_route) THEN
                            v_busy := ARRAY(
                                SELECT DISTINCT r.work_order_id
                                FROM unnest(v_rows) AS r
                                WHERE r.action = 'add'
                                  AND NOT EXISTS (SELECT FROM unnest(v_held) AS h (id) WHERE h.id = r.work_order_process_id));
                            v_try := ARRAY(SELECT c FROM unnest(v_chunk) AS c WHERE c <> ALL (v_busy));
                            RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'busy work orders: claim again';
                        END IF;
                    END IF;
                    RETURN QUERY
                        SELECT a.work_order_id, a.added, a.removed, a.updated, a.conflicts, a.sync_run_id
                        FROM task_sync_internal._apply(v_chunk, v_rows, false, false, 'sync_pending', v_marks) AS a;
                    v_left := v_left - cardinality(v_chunk);
                END IF;
            EXCEPTION WHEN SQLSTATE 'TSR01' THEN
                NULL;   -- this attempt's locks are released; v_try holds the free ones
            END;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION task_sync.sync_pending(integer) IS
    'sync_pending(p_limit NULL) -> rows: syncs pending work orders set-based (at most p_limit; NULL: '
    'all), never waiting: what another session holds stays pending. TSV01: negative limit';
