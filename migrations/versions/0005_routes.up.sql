-- 0005_routes up: a sync holds the route rows its plan adds drafts for; generic plans for one work
-- order.
--   * execute and sync_pending lock, after the plan, the route rows it adds drafts for: a route
--     row added after the route was locked, and deleted before the drafts were written, made the
--     sync fail with a foreign key violation (23503). Now execute reports it as 40001 (retry) and
--     sync_pending leaves the work order pending, like a busy one.
--   * execute, preview and plan run with plan_cache_mode = force_generic_plan: re-planning every
--     statement for each call was about half the time of a small execute.
-- Frozen copy of the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE OR REPLACE FUNCTION task_sync.execute(
    p_work_order_id bigint,
    p_confirmed boolean DEFAULT false,
    p_expected_plan_hash text DEFAULT NULL,
    p_overwrite_edits boolean DEFAULT false,
    p_restore_dismissed boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Hash joins, at every size: a long-lived session that ran execute on small work orders has
-- generic plans cached for its statements (and those of _plan_rows and _apply), built for a few
-- rows; reused for a work order of thousands of drafts, their nested loops over CTE scans went
-- quadratic (measured: 37 s instead of 1.3 s for 7,500 drafts), and so did custom plans when
-- statistics did not know a new work order yet. Hash joins stay linear whatever the plan
-- assumed. (Not plan_cache_mode = force_custom_plan: it applies to the foreign-key checks of the
-- rows written too, and replanning those per row cost 80 µs a row.)
SET enable_nestloop = off
-- with nested loops off, a plan that still needs one carries the disable cost, which would start JIT
SET jit = off
-- Generic plans, from the first call: planning the desired set, the plan and the writes for one
-- work order took about half of a small execute (measured on PostgreSQL 18: 13 ms per call
-- with the planner's own choice, which kept planning custom plans, 6 ms with generic ones), and
-- a generic plan built with nested loops off stays linear at any size (the cliff above). Applies
-- to the SQL functions execute calls too, which cache plans from PostgreSQL 18 on.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_wo    task_sync.work_order;
    v_rows  task_sync.plan_row[];
    v_hash  text;
    v_marks bigint[];
    v_route bigint[];   -- the route rows the plan adds drafts for
    v_held  integer;
    v_res   record;
BEGIN
    PERFORM task_sync_internal._check_work_order_id(p_work_order_id);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('malformed plan hash: %L', p_expected_plan_hash),
            HINT = 'Pass the plan_hash of task_sync.preview(): 64 lowercase hex digits.';
    END IF;
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
    IF p_confirmed IS NOT TRUE THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC01',
            MESSAGE = format('confirmation required to sync work order %s', p_work_order_id),
            HINT = 'Read task_sync.preview(id) first, then call task_sync.execute(id, true, <plan_hash>).';
    END IF;

    PERFORM FROM task_sync.work_order_process WHERE work_order_id = p_work_order_id FOR KEY SHARE;
    SELECT * INTO v_wo FROM task_sync.work_order WHERE id = p_work_order_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSN01',
            MESSAGE = format('work order %s not found', p_work_order_id);
    END IF;
    IF NOT task_sync_internal._may_sync(v_wo.status, v_wo.approval_status) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC03',
            MESSAGE = format('work order %s may not be synced', p_work_order_id),
            DETAIL = format('status is %s, approval_status is %s', v_wo.status, v_wo.approval_status),
            HINT = 'Only work orders that are not approved, completed or cancelled are synced.';
    END IF;
    BEGIN
        PERFORM FROM task_sync.work_order_process WHERE work_order_id = p_work_order_id FOR KEY SHARE NOWAIT;
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION USING
            ERRCODE = '40001',
            MESSAGE = format('the route of work order %s is being changed by another transaction', p_work_order_id),
            HINT = 'Retry the sync.';
    END;

    -- the marks first, the plan after: the plan sees every change these marks stand for
    v_marks := ARRAY(SELECT m.id FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id);
    SELECT coalesce(array_agg(r), '{}'),
           coalesce(array_agg(DISTINCT r.work_order_process_id) FILTER (WHERE r.action = 'add'), '{}')
    INTO v_rows, v_route
    FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r;
    v_hash := task_sync_internal._plan_hash(v_rows);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash <> v_hash THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC02',
            MESSAGE = format('stale plan for work order %s: the plan changed since it was previewed', p_work_order_id),
            DETAIL = format('expected plan_hash %s, current plan_hash %s', p_expected_plan_hash, v_hash),
            HINT = 'Preview again (with the same flags) and confirm the new plan.';
    END IF;

    -- the route rows the plan adds drafts for, held from here on: a route row added since the route
    -- was locked above is not held yet, and one deleted since the plan was read is gone (its
    -- drafts would fail their foreign key): the plan is stale, 40001 (retry)
    IF cardinality(v_route) > 0 THEN
        BEGIN
            SELECT count(*) INTO v_held
            FROM (SELECT FROM task_sync.work_order_process p
                  WHERE p.work_order_id = p_work_order_id AND p.id = ANY (v_route)
                  FOR KEY SHARE NOWAIT) AS held;
        EXCEPTION WHEN lock_not_available THEN
            v_held := -1;
        END;
        IF v_held <> cardinality(v_route) THEN
            RAISE EXCEPTION USING
                ERRCODE = '40001',
                MESSAGE = format('the route of work order %s changed while its plan was computed', p_work_order_id),
                HINT = 'Retry the sync.';
        END IF;
    END IF;

    SELECT * INTO v_res
    FROM task_sync_internal._apply(ARRAY[p_work_order_id], v_rows, p_overwrite_edits, p_restore_dismissed, 'execute', v_marks,
                          v_hash);
    RETURN jsonb_build_object(
        'work_order_id', v_res.work_order_id,
        'sync_run_id', v_res.sync_run_id,
        'plan_hash', v_res.plan_hash,
        'added', v_res.added,
        'removed', v_res.removed,
        'updated', v_res.updated,
        'conflicts', v_res.conflicts,
        'synced_version', v_res.synced_version);
END
$$;

COMMENT ON FUNCTION task_sync.execute(bigint, boolean, text, boolean, boolean) IS
    'execute(p_work_order_id, p_confirmed false, p_expected_plan_hash NULL, p_overwrite_edits false, '
    'p_restore_dismissed false) -> jsonb: syncs one work order atomically; with the previewed '
    'plan_hash, a changed plan is refused. TSV01: invalid id, malformed hash or a NULL flag; TSC01: '
    'p_confirmed not true; TSN01: work order not found; TSC03: work order may not be synced; TSC02: '
    'stale plan (nothing changed); 40001: the route changed under the sync (retry)';

CREATE OR REPLACE FUNCTION task_sync.plan(
    p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS SETOF task_sync.plan_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- see execute: hash joins, and generic plans from the first call
SET enable_nestloop = off
SET jit = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    PERFORM task_sync_internal._work_order(p_work_order_id);
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
    RETURN QUERY
        SELECT (i.r).*
        FROM task_sync_internal._items(ARRAY(
                SELECT r FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r)) AS i
        ORDER BY i.ord;
END
$$;

COMMENT ON FUNCTION task_sync.plan(bigint, boolean, boolean) IS
    'plan(p_work_order_id, p_overwrite_edits false, p_restore_dismissed false) -> rows: the items of '
    'preview with the same flags, for psql. TSV01: invalid id or a NULL flag; TSN01: work order not '
    'found';

CREATE OR REPLACE FUNCTION task_sync.preview(
    p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- see execute: hash joins, and generic plans from the first call
SET enable_nestloop = off
SET jit = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_wo    task_sync.work_order := task_sync_internal._work_order(p_work_order_id);
    v_marks bigint;
    v_rows  task_sync.plan_row[];
BEGIN
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
    v_marks := (SELECT count(*) FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id);
    v_rows := ARRAY(SELECT r FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r);
    RETURN jsonb_build_object(
        'work_order_id', v_wo.id,
        'order_number', v_wo.order_number,
        'plan_hash', task_sync_internal._plan_hash(v_rows),
        'definition_version', v_wo.synced_version + v_marks,
        'synced_version', v_wo.synced_version,
        'sync_needed', v_marks > 0,
        'may_sync', task_sync_internal._may_sync(v_wo.status, v_wo.approval_status),
        'overwrite_edits', p_overwrite_edits,
        'restore_dismissed', p_restore_dismissed,
        'summary', (
            SELECT jsonb_build_object(
                'add', count(*) FILTER (WHERE r.action = 'add'),
                'remove', count(*) FILTER (WHERE r.action = 'remove'),
                'update', count(*) FILTER (WHERE r.action = 'update'),
                'conflict', count(*) FILTER (WHERE r.action = 'conflict'),
                'dismissed', count(*) FILTER (WHERE r.action = 'dismissed'),
                'orphaned', count(*) FILTER (WHERE r.action = 'orphaned'),
                'keep', count(*) FILTER (WHERE r.action = 'keep'))
            FROM unnest(v_rows) AS r),
        'items', (SELECT coalesce(jsonb_agg(to_jsonb(i.r) ORDER BY i.ord), '[]') FROM task_sync_internal._items(v_rows) AS i));
END
$$;

COMMENT ON FUNCTION task_sync.preview(bigint, boolean, boolean) IS
    'preview(p_work_order_id, p_overwrite_edits false, p_restore_dismissed false) -> jsonb: what '
    'execute with the same flags would do to the work order, item by item, with its plan_hash; '
    'changes nothing. TSV01: invalid id or a NULL flag; TSN01: work order not found';

CREATE OR REPLACE FUNCTION task_sync.sync_pending(p_limit integer DEFAULT NULL)
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
