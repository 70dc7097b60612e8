-- task_sync.execute(p_work_order_id bigint, p_confirmed boolean DEFAULT false,
--                   p_expected_plan_hash text DEFAULT NULL, p_overwrite_edits boolean DEFAULT false,
--                   p_restore_dismissed boolean DEFAULT false) -> jsonb
-- Syncs one work order: locks it, recomputes its plan from the database, checks the plan against
-- the hash the caller confirmed (when given), and applies it atomically (_apply): drafts added,
-- removed and updated, conflicts kept (or overwritten when p_overwrite_edits), dismissed drafts
-- left out (or re-added when p_restore_dismissed), synced_version set to the definition_version
-- synced, one sync_run written. Returns {work_order_id, sync_run_id, plan_hash, added, removed,
-- updated, conflicts, synced_version}. Idempotent: a second execute changes nothing and writes no
-- sync_run (sync_run_id is null).
-- The marks it takes in are the ones it reads before it computes the plan: a change committed
-- after that keeps its mark, and the work order stays pending for the next sync.
-- The plan it checks and applies is the one preview(p_work_order_id, p_overwrite_edits,
-- p_restore_dismissed) shows: a hash previewed with other flags confirms it only when the two
-- plans are the same.
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books, which no
-- caller may write directly. It takes no plan from its caller; the audit records the caller
-- (_caller), not the owner.
-- Locks:   in this order: the work order's route rows FOR KEY SHARE (a route row being deleted is
--          waited for), the work order row FOR NO KEY UPDATE (two syncs of one work order run one
--          after the other; edits of inputs do not touch this row, marking inserts a row of its
--          own), then the route rows the plan adds drafts for FOR KEY SHARE SKIP LOCKED (a route row
--          added after the first lock is not held until then), then the task rows _apply writes (a
--          draft a planner holds is waited for). A route row the plan adds drafts for that is gone
--          or held by then (added after the first lock, and deleted since) is reported as 40001
--          (retry). The route is locked twice, no more: all of it, waiting, before the work order
--          (what exists is not deleted under the plan), and what the plan adds drafts for after it
--          (_hold_route, never waiting: what was added since).
-- Raises:  TSC07 a read-only transaction (a hot standby: run it on the primary);
--          TSV01 invalid id, malformed hash or null flag; TSC01 p_confirmed not true;
--          TSN01 work order not found; TSC03 work order may not be synced; TSC02 stale plan;
--          40001 the route changed under the sync (retry).
-- Writes:  task, task_dismissal, work_order_mark, work_order, sync_run (all through _apply).

CREATE FUNCTION task_sync.execute(
    p_work_order_id bigint,
    p_confirmed boolean DEFAULT false,
    p_expected_plan_hash text DEFAULT NULL,
    p_overwrite_edits boolean DEFAULT false,
    p_restore_dismissed boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- the planner settings and why: docs/scaling.md, "The planner settings of the engine's calls"
SET enable_nestloop = off
SET jit = off
SET plan_cache_mode = force_generic_plan
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v_wo    task_sync.work_order;
    v_rows  task_sync.plan_row[];
    v_hash  text;
    v_marks bigint[];
    v_route bigint[];   -- the route rows the plan adds drafts for
    v_res   record;
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.execute');
    PERFORM task_sync_internal._check_work_order_id(p_work_order_id);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: malformed plan hash: %L', p_expected_plan_hash),
            HINT = 'Pass the plan_hash of task_sync.preview(): 64 lowercase hex digits.';
    END IF;
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
    IF p_confirmed IS NOT TRUE THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC01',
            MESSAGE = format('TSC01: confirmation required to sync work order %s', p_work_order_id),
            HINT = 'Read task_sync.preview(id) first, then call task_sync.execute(id, true, <plan_hash>).';
    END IF;

    PERFORM FROM task_sync.work_order_process WHERE work_order_id = p_work_order_id FOR KEY SHARE;
    SELECT * INTO v_wo FROM task_sync.work_order WHERE id = p_work_order_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSN01',
            MESSAGE = format('TSN01: work order %s not found', p_work_order_id);
    END IF;
    IF NOT task_sync_internal._may_sync(v_wo.status, v_wo.approval_status) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC03',
            MESSAGE = format('TSC03: work order %s may not be synced', p_work_order_id),
            DETAIL = format('status is %s, approval_status is %s', v_wo.status, v_wo.approval_status),
            HINT = 'Only work orders that are not approved, completed or cancelled are synced.';
    END IF;

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
            MESSAGE = format('TSC02: stale plan for work order %s: the plan changed since it was previewed', p_work_order_id),
            DETAIL = format('expected plan_hash %s, current plan_hash %s', p_expected_plan_hash, v_hash),
            HINT = 'Preview again (with the same flags) and confirm the new plan.';
    END IF;

    -- the route rows the plan adds drafts for, held from here on: a route row added since the route
    -- was locked above is not held yet, and one deleted since the plan was read is gone (its drafts
    -- would fail their foreign key): the plan is stale, 40001 (retry)
    IF cardinality(v_route) > 0
       AND cardinality(task_sync_internal._hold_route(ARRAY[p_work_order_id], v_route)) <> cardinality(v_route) THEN
        RAISE EXCEPTION USING
            ERRCODE = '40001',
            MESSAGE = format('the route of work order %s changed while its plan was computed', p_work_order_id),
            HINT = 'Retry the sync.';
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
    'plan_hash, a changed plan is refused. TSC07: a read-only transaction (run it on the primary); TSV01: invalid id, malformed hash or a NULL flag; TSC01: '
    'p_confirmed not true; TSN01: work order not found; TSC03: work order may not be synced; TSC02: '
    'stale plan (nothing changed); 40001: the route changed under the sync (retry)';
