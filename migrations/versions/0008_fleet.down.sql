-- 0008_fleet down: back to 0007. Parked and weighted marks are folded into one mark per work
-- order (definition_version may be lower afterwards; a work order that was pending stays pending).
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

DROP FUNCTION task_sync.sync_pending(integer, bigint[]);
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

DROP FUNCTION task_sync.pending(integer);
CREATE OR REPLACE FUNCTION task_sync.pending(p_limit integer DEFAULT NULL)
RETURNS TABLE (
    work_order_id       bigint,
    order_number        text,
    definition_version  bigint,
    synced_version      bigint,
    pending_since       timestamptz
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;
    RETURN QUERY
        SELECT w.id, w.order_number, w.synced_version + m.n, w.synced_version, m.since
        FROM (SELECT x.work_order_id, count(*) AS n, min(x.marked_at) AS since
              FROM task_sync.work_order_mark x
              GROUP BY x.work_order_id) m
        JOIN task_sync.work_order w ON w.id = m.work_order_id
        WHERE task_sync_internal._may_sync(w.status, w.approval_status)
        ORDER BY m.since, w.id
        LIMIT p_limit;
END
$$;

COMMENT ON FUNCTION task_sync.pending(integer) IS
    'pending(p_limit NULL) -> rows: work orders that need a sync and may be synced, longest waiting '
    'first (at most p_limit; NULL: all). TSV01: negative limit';

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

CREATE OR REPLACE FUNCTION task_sync_internal._apply(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
    p_restore_dismissed boolean, p_via text, p_marks bigint[], p_plan_hash text DEFAULT NULL)
RETURNS TABLE (
    work_order_id   bigint,
    sync_run_id     bigint,
    plan_hash       text,
    added           integer,
    removed         integer,
    updated         integer,
    conflicts       integer,
    synced_version  bigint
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO task_sync.applying (xact) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT * FROM unnest(p_rows)
    ),
    wo AS MATERIALIZED (
        -- the state before this statement's writes (one snapshot for the whole statement)
        SELECT w.id, w.synced_version
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
    ),
    taken AS (
        DELETE FROM task_sync.work_order_mark m
        WHERE m.work_order_id = ANY (p_work_order_ids) AND m.id = ANY (p_marks)
        RETURNING m.work_order_id
    ),
    taken_per_wo AS (
        SELECT taken.work_order_id, count(*) AS n FROM taken GROUP BY taken.work_order_id
    ),
    del AS (
        DELETE FROM task_sync.task t
        USING r
        WHERE r.action = 'remove'
          AND t.work_order_id = ANY (p_work_order_ids)
          AND t.work_order_id = r.work_order_id AND t.id = r.task_id
          AND t.status = 'draft' AND t.origin = 'generated'
        RETURNING r.*
    ),
    ins AS (
        INSERT INTO task_sync.task AS t (
            work_order_id, work_order_process_id, status, origin, task_type, source_kind, source_id,
            work_content, production_quantity, generated_work_content, generated_production_quantity)
        SELECT r.work_order_id, r.work_order_process_id, 'draft', 'generated', r.task_type, r.source_kind,
               r.source_id, r.desired_work_content, r.desired_production_quantity,
               r.desired_work_content, r.desired_production_quantity
        FROM r
        WHERE r.action = 'add'
        -- a generated task with this key that appeared since the plan was read satisfies it
        ON CONFLICT (work_order_id, work_order_process_id, task_type, source_kind, source_id)
            WHERE origin = 'generated' DO NOTHING
        RETURNING t.id, t.work_order_id, t.work_order_process_id, t.task_type, t.source_kind, t.source_id
    ),
    upd AS (
        UPDATE task_sync.task t SET
            -- three ways, on the row as it is now (_field_write): a field still at its baseline takes
            -- the rule value; an edited field keeps the planner's value unless told to overwrite a conflict
            work_content = task_sync_internal._field_write(
                t.work_content, t.generated_work_content, r.desired_work_content, p_overwrite_edits),
            production_quantity = task_sync_internal._field_write(
                t.production_quantity, t.generated_production_quantity, r.desired_production_quantity,
                p_overwrite_edits),
            generated_work_content = r.desired_work_content,
            generated_production_quantity = r.desired_production_quantity
        FROM r
        WHERE (r.action IN ('update', 'conflict')
               -- a kept draft is written only when its baseline moves (the engine alone writes
               -- baselines, under the work order's lock, so the plan's baseline is the row's)
               OR (r.action = 'keep'
                   AND (r.baseline_work_content IS DISTINCT FROM r.desired_work_content
                        OR r.baseline_production_quantity IS DISTINCT FROM r.desired_production_quantity)))
          AND t.work_order_id = ANY (p_work_order_ids)
          AND t.work_order_id = r.work_order_id AND t.id = r.task_id
          AND t.status = 'draft' AND t.origin = 'generated'
          AND (t.generated_work_content IS DISTINCT FROM r.desired_work_content
               OR t.generated_production_quantity IS DISTINCT FROM r.desired_production_quantity)
        RETURNING r.*, t.work_content AS new_work_content, t.production_quantity AS new_production_quantity
    ),
    forgotten AS (
        -- side effect only, like versions and items below (nothing reads them: PostgreSQL runs every
        -- data-modifying WITH statement to completion, read or not).
        -- Forget dismissals whose key the plan does not desire, and the ones restored; a key the
        -- plan desires keeps its dismissal even when the plan saw its draft (as keep, update or
        -- conflict): a planner may have deleted that draft after the plan was read
        DELETE FROM task_sync.task_dismissal x
        WHERE x.work_order_id = ANY (p_work_order_ids)
          AND NOT EXISTS (
              SELECT FROM r
              WHERE r.action IN ('add', 'dismissed', 'update', 'conflict', 'keep')
                AND NOT r.restored
                AND r.work_order_id = x.work_order_id AND r.work_order_process_id = x.work_order_process_id
                AND r.task_type = x.task_type AND r.source_kind = x.source_kind AND r.source_id = x.source_id)
    ),
    applied AS (
        -- the itemised changes, as the audit records them (sync_item): the values before and after
        SELECT del.work_order_id, del.task_id, 'remove' AS action, del.work_order_process_id, del.process_code,
               del.task_type, del.source_kind, del.source_id,
               NULL::text AS work_content, NULL::integer AS production_quantity,
               del.current_work_content AS previous_work_content,
               del.current_production_quantity AS previous_production_quantity,
               false AS restored, false AS overwritten
        FROM del
        UNION ALL
        SELECT ins.work_order_id, ins.id, 'add', r.work_order_process_id, r.process_code,
               r.task_type, r.source_kind, r.source_id,
               r.desired_work_content, r.desired_production_quantity, NULL, NULL, r.restored, false
        FROM ins
        JOIN r ON r.work_order_id = ins.work_order_id AND r.work_order_process_id = ins.work_order_process_id
              AND r.task_type = ins.task_type AND r.source_kind = ins.source_kind AND r.source_id = ins.source_id
              AND r.action = 'add'
        UNION ALL
        -- labelled as the plan labels it (a draft with a conflict in one field and an update in the
        -- other is a conflict; with p_overwrite_edits it is an update), so that execute's counts
        -- are its preview's summary; the values before and after say what was written
        SELECT upd.work_order_id, upd.task_id, upd.action,
               upd.work_order_process_id, upd.process_code, upd.task_type, upd.source_kind, upd.source_id,
               upd.new_work_content, upd.new_production_quantity,
               upd.current_work_content, upd.current_production_quantity, false, upd.overwritten
        FROM upd
        WHERE upd.action <> 'keep'
    ),
    hashes AS (
        SELECT h.work_order_id, h.plan_hash
        FROM task_sync_internal._plan_hashes(p_rows) AS h
        WHERE p_plan_hash IS NULL
    ),
    tallies AS (
        SELECT a.work_order_id,
               count(*) FILTER (WHERE a.action = 'add')::integer AS n_add,
               count(*) FILTER (WHERE a.action = 'remove')::integer AS n_remove,
               count(*) FILTER (WHERE a.action = 'update')::integer AS n_update,
               count(*) FILTER (WHERE a.action = 'conflict')::integer AS n_conflict
        FROM applied a
        GROUP BY a.work_order_id
    ),
    per_wo AS (
        SELECT wo.id, wo.synced_version AS from_version,
               wo.synced_version + coalesce(tk.n, 0) AS to_version,
               coalesce(p_plan_hash, h.plan_hash, task_sync_internal._plan_hash('{}')) AS plan_hash,
               coalesce(t.n_add, 0) AS n_add, coalesce(t.n_remove, 0) AS n_remove,
               coalesce(t.n_update, 0) AS n_update, coalesce(t.n_conflict, 0) AS n_conflict
        FROM wo
        LEFT JOIN hashes h ON h.work_order_id = wo.id
        LEFT JOIN tallies t ON t.work_order_id = wo.id
        LEFT JOIN taken_per_wo tk ON tk.work_order_id = wo.id
    ),
    versions AS (
        -- side effect only: the marks taken in raise synced_version
        UPDATE task_sync.work_order w
        SET synced_version = p.to_version
        FROM per_wo p
        WHERE w.id = ANY (p_work_order_ids) AND w.id = p.id AND p.to_version <> p.from_version
    ),
    runs AS (
        INSERT INTO task_sync.sync_run AS s (
            work_order_id, run_by, application_name, via, plan_hash, from_version, to_version,
            overwrite_edits, restore_dismissed, added, removed, updated, conflicts)
        SELECT p.id, task_sync_internal._caller(), current_setting('application_name'), p_via, p.plan_hash, p.from_version,
               p.to_version, p_overwrite_edits, p_restore_dismissed, p.n_add, p.n_remove, p.n_update, p.n_conflict
        FROM per_wo p
        WHERE p.from_version <> p.to_version OR p.n_add + p.n_remove + p.n_update + p.n_conflict > 0
        RETURNING s.id, s.work_order_id
    ),
    items AS (
        -- side effect only: the audit's items
        INSERT INTO task_sync.sync_item (
            sync_run_id, work_order_id, task_id, action, work_order_process_id, process_code, task_type,
            source_kind, source_id, work_content, production_quantity, previous_work_content,
            previous_production_quantity, restored, overwritten)
        SELECT runs.id, a.work_order_id, a.task_id, a.action, a.work_order_process_id, a.process_code, a.task_type,
               a.source_kind, a.source_id, a.work_content, a.production_quantity, a.previous_work_content,
               a.previous_production_quantity, a.restored, a.overwritten
        FROM applied a
        JOIN runs ON runs.work_order_id = a.work_order_id
    )
    SELECT p.id, runs.id, p.plan_hash, p.n_add, p.n_remove, p.n_update, p.n_conflict, p.to_version
    FROM per_wo p
    LEFT JOIN runs ON runs.work_order_id = p.id
    ORDER BY p.id;
    DELETE FROM task_sync.applying a WHERE a.xact = pg_current_xact_id();
END
$$;

COMMENT ON FUNCTION task_sync_internal._apply(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text) IS
    'Applies a computed plan to these work orders in one statement and writes their sync_run rows';

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

CREATE OR REPLACE FUNCTION task_sync.check_sync_needed(p_work_order_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync_internal._work_order(p_work_order_id);
    RETURN EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id);
END
$$;

COMMENT ON FUNCTION task_sync.check_sync_needed(bigint) IS
    'check_sync_needed(p_work_order_id) -> boolean: true when the work order''s inputs changed since '
    'its last sync. TSV01: invalid id; TSN01: work order not found';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_work_order__mark()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync_internal._mark(ARRAY(
        SELECT n.id
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE (n.order_number, n.production_quantity) IS DISTINCT FROM (o.order_number, o.production_quantity)));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order__mark() IS
    'Marks work orders whose order_number or production_quantity changed (statement-level)';

CREATE OR REPLACE FUNCTION task_sync_internal._mark(p_work_order_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    IF coalesce(cardinality(p_work_order_ids), 0) = 0 THEN
        RETURN 0;
    END IF;
    WITH added AS (
        INSERT INTO task_sync.work_order_mark (work_order_id)
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
        ORDER BY w.id
        ON CONFLICT (work_order_id, xact) DO NOTHING
        RETURNING work_order_id
    )
    -- a work order marked earlier in this transaction was notified then
    SELECT count(pg_notify('task_sync', added.work_order_id::text)) INTO v_count FROM added;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync_internal._mark(bigint[]) IS
    'Marks these work orders as needing a sync (one mark per transaction) and notifies task_sync';

CREATE OR REPLACE FUNCTION task_sync.repair_marks()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    c_chunk CONSTANT integer := 1000;
    v_after bigint := 0;
    v_ids   bigint[];
    v_count integer := 0;
BEGIN
    PERFORM task_sync_internal._require_read_committed('repair_marks()');
    LOOP
        v_ids := ARRAY(
            SELECT w.id
            FROM task_sync.work_order w
            WHERE w.id > v_after
              AND NOT EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id)
            ORDER BY w.id
            LIMIT c_chunk);
        EXIT WHEN cardinality(v_ids) = 0;
        v_after := v_ids[cardinality(v_ids)];
        v_count := v_count + task_sync_internal._mark(ARRAY(
            SELECT DISTINCT r.work_order_id
            FROM task_sync_internal._plan_rows(v_ids) AS r
            WHERE r.action IN ('add', 'remove', 'update', 'conflict')));
    END LOOP;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync.repair_marks() IS
    'repair_marks() -> integer: marks every work order whose plan has something to do but that is not '
    'pending (after loads with triggers off); returns how many. Owner only. TSC05: not READ COMMITTED';

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

CREATE OR REPLACE FUNCTION task_sync_internal._source_view_build()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_branches text[];
BEGIN
    v_branches := ARRAY(
        SELECT CASE k.shape
            WHEN 'work_order' THEN format(
                'SELECT w.id AS work_order_id, %L::text AS source_kind, w.id AS source_id,'
                ' w.order_number AS name, NULL::integer AS quantity FROM task_sync.work_order w', k.kind)
            WHEN 'link' THEN format(
                'SELECT l.work_order_id, %L::text AS source_kind, l.%I AS source_id, c.name, NULL::integer AS quantity'
                ' FROM task_sync.%I l JOIN task_sync.%I c ON c.id = l.%I',
                k.kind, k.kind || '_id', 'work_order_' || k.kind, k.kind,
                k.kind || '_id')
            ELSE format(
                'SELECT l.work_order_id, %L::text AS source_kind, l.id AS source_id, c.name, l.quantity'
                ' FROM task_sync.%I l JOIN task_sync.%I c ON c.id = l.%I%s',
                k.kind, 'work_order_' || k.kind, k.kind, k.kind || '_id',
                CASE WHEN k.line_filter IS NOT NULL THEN format(' WHERE l.%I', k.line_filter) ELSE '' END)
            END
        FROM task_sync.source_kind k
        ORDER BY k.kind);
    EXECUTE 'CREATE OR REPLACE VIEW task_sync.work_order_source AS '
        || array_to_string(v_branches, ' UNION ALL ');
    COMMENT ON VIEW task_sync.work_order_source IS
        'Every source of every work order, of every registered kind: what a rule of that source_kind yields one task per '
        '(rebuilt from task_sync.source_kind)';
END
$$;

COMMENT ON FUNCTION task_sync_internal._source_view_build() IS
    'Rebuilds the view work_order_source from the registry of source kinds';

CREATE OR REPLACE FUNCTION task_sync_internal._desired(p_work_order_ids bigint[])
RETURNS TABLE (
    work_order_id           bigint,
    work_order_process_id   bigint,
    process_code            text,
    task_type               text,
    source_kind             text,
    source_id               bigint,
    work_content            text,
    production_quantity     integer
)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH effective_rule AS MATERIALIZED (
        -- the rules each process of the catalog takes: its own, else the defaults; a template's
        -- regular-expression check runs here, once per rule and process
        SELECT p.id AS process_id, p.code, p.name, r.source_kind, r.task_type, r.quantity_source,
               r.content_template, task_sync_internal._template_ok(r.content_template) AS template_ok
        FROM task_sync.process p
        JOIN task_sync.generation_rule r ON r.process_code = p.code
        UNION ALL
        SELECT p.id, p.code, p.name, r.source_kind, r.task_type, r.quantity_source, r.content_template,
               task_sync_internal._template_ok(r.content_template)
        FROM task_sync.process p
        JOIN task_sync.generation_rule r ON r.process_code IS NULL
        WHERE NOT EXISTS (SELECT FROM task_sync.generation_rule s WHERE s.process_code = p.code)
    ),
    wo AS MATERIALIZED (
        SELECT w.id, w.order_number, w.production_quantity
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
    ),
    -- each process of the route with the rules it takes (materialized: a few rows per work order,
    -- so that sources are joined by (work order, kind) and never multiplied first)
    route AS MATERIALIZED (
        -- the template resolved here, once per rule and route row; per task only {source_name} is left
        SELECT wop.work_order_id, wop.id, er.code, er.name, er.task_type, er.source_kind, er.quantity_source,
               er.content_template,
               task_sync_internal._template_pre(er.content_template, er.template_ok, wo.order_number, er.code, er.name) AS pre
        FROM task_sync.work_order_process wop
        JOIN effective_rule er ON er.process_id = wop.process_id
        JOIN wo ON wo.id = wop.work_order_id
        WHERE wop.work_order_id = ANY (p_work_order_ids)
    ),
    source AS MATERIALIZED (
        -- every kind read the same way: the view built from the registry of kinds
        SELECT s.work_order_id, s.source_kind AS kind, s.source_id, s.name, s.quantity
        FROM task_sync.work_order_source s
        WHERE s.work_order_id = ANY (p_work_order_ids)
    )
    SELECT rt.work_order_id, rt.id, rt.code, rt.task_type, rt.source_kind, s.source_id,
           task_sync_internal._content_from_pre(rt.pre, rt.content_template, wo.order_number, rt.code, rt.name, s.name),
           CASE rt.quantity_source
               WHEN 'one' THEN 1
               WHEN 'work_order' THEN coalesce(wo.production_quantity, 0)
               ELSE s.quantity
           END
    FROM route rt
    JOIN source s ON s.work_order_id = rt.work_order_id AND s.kind = rt.source_kind
    JOIN wo ON wo.id = rt.work_order_id
$$;

COMMENT ON FUNCTION task_sync_internal._desired(bigint[]) IS
    'The desired generated tasks of these work orders, computed from the rules and the current inputs';

SELECT task_sync_internal._source_view_build();
DROP FUNCTION task_sync_internal._sources(bigint[]);

DROP FUNCTION task_sync_internal._park_marks(bigint[]);
DROP FUNCTION task_sync_internal._require_writable(text);
DROP FUNCTION task_sync_internal._failure_pause(bigint, bigint);
DROP INDEX task_sync.work_order_mark__marked_at_id_idx;
DROP FUNCTION task_sync_internal._record_failure(bigint, text, text, text);
DROP FUNCTION task_sync_internal._hold_route(bigint[], bigint[]);
DROP FUNCTION task_sync_internal._claim(bigint[]);
DROP FUNCTION task_sync_internal._queue();

DROP TRIGGER work_order__forget_books ON task_sync.work_order;
DROP FUNCTION task_sync_internal.tg_work_order__forget_books();
CREATE FUNCTION task_sync_internal.tg_work_order__forget_marks()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM task_sync.work_order_mark m
    USING old_rows o
    WHERE m.work_order_id = o.id;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order__forget_marks() IS 'Deletes the marks of deleted work orders (statement-level)';

CREATE TRIGGER work_order__forget_marks AFTER DELETE ON task_sync.work_order
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_work_order__forget_marks();

DELETE FROM task_sync.task_dismissal x
WHERE NOT EXISTS (SELECT FROM task_sync.work_order w WHERE w.id = x.work_order_id);
ALTER TABLE task_sync.task_dismissal ADD CONSTRAINT task_dismissal__work_order_id_fkey FOREIGN KEY (work_order_id)
    REFERENCES task_sync.work_order (id) ON DELETE CASCADE;

-- one mark per work order for what was parked or weighted
WITH parked AS (
    DELETE FROM task_sync.work_order_mark_parked p RETURNING p.work_order_id, p.since
)
INSERT INTO task_sync.work_order_mark (work_order_id, marked_at)
SELECT p.work_order_id, p.since FROM parked p
ON CONFLICT (work_order_id, xact) DO NOTHING;
DROP TABLE task_sync.work_order_mark_parked, task_sync.sync_failure;
ALTER TABLE task_sync.work_order_mark DROP COLUMN weight;

GRANT EXECUTE ON FUNCTION task_sync.pending(integer) TO task_sync_reader;
GRANT EXECUTE ON FUNCTION task_sync.sync_pending(integer) TO task_sync_writer;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
