-- 0010_batch_cost up: A batch's cost follows its work: candidates without a query each, plain inserts, no route claim.
-- Frozen from the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE OR REPLACE FUNCTION task_sync_internal._attempt(
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
            RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'busy work orders';  -- roll back: keep no lock
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
        WHEN SQLSTATE '40001' OR SQLSTATE '40P01' OR SQLSTATE '55P03' THEN
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

CREATE OR REPLACE FUNCTION task_sync_internal._candidates(p_want integer, p_seen bigint[], OUT try bigint[], OUT closed bigint[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_window    CONSTANT integer := 10000;  -- the oldest marks searched first
    v_scanned   bigint;                     -- how many of them there were
BEGIN
    -- every step reads only what the marks name: the oldest marks by index, their work orders by
    -- id, p_seen and the paused ones as hashed anti-joins (not a test per candidate, which made
    -- each call cost the backlog times what it had seen)
    WITH oldest AS MATERIALIZED (
        SELECT m.work_order_id, m.marked_at
        FROM task_sync.work_order_mark m
        ORDER BY m.marked_at, m.id
        LIMIT c_window
    ),
    queue AS MATERIALIZED (
        SELECT o.work_order_id, min(o.marked_at) AS since
        FROM oldest o
        GROUP BY o.work_order_id
    ),
    wo AS MATERIALIZED (
        SELECT w.id, task_sync_internal._may_sync(w.status, w.approval_status) AS may_sync
        FROM task_sync.work_order w
        WHERE w.id = ANY (ARRAY(SELECT q.work_order_id FROM queue q))
    )
    SELECT ARRAY(SELECT q.work_order_id
                 FROM queue q
                 JOIN wo ON wo.id = q.work_order_id
                 WHERE wo.may_sync
                   AND NOT EXISTS (SELECT FROM unnest(p_seen) AS s (id) WHERE s.id = q.work_order_id)
                   AND NOT EXISTS (SELECT FROM task_sync_internal._paused() p WHERE p.work_order_id = q.work_order_id)
                 ORDER BY q.since, q.work_order_id
                 LIMIT p_want),
           ARRAY(SELECT wo.id FROM wo WHERE NOT wo.may_sync),
           (SELECT count(*) FROM oldest)
    INTO try, closed, v_scanned;
    IF cardinality(try) < p_want AND v_scanned = c_window THEN
        try := ARRAY(
            SELECT c.work_order_id
            FROM task_sync_internal._queue() c
            WHERE c.may_sync
              AND NOT EXISTS (SELECT FROM unnest(p_seen) AS s (id) WHERE s.id = c.work_order_id)
              AND NOT EXISTS (SELECT FROM task_sync_internal._paused() p WHERE p.work_order_id = c.work_order_id)
            ORDER BY c.pending_since, c.work_order_id
            LIMIT p_want);
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._candidates(integer, bigint[]) IS
    'The next work orders sync_pending tries, longest waiting first, and the closed ones met among the oldest marks';

CREATE OR REPLACE FUNCTION task_sync_internal._claim(p_work_order_ids bigint[], OUT claimed bigint[], OUT busy bigint[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    claimed := ARRAY(
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
          AND task_sync_internal._may_sync(w.status, w.approval_status)
          AND EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id)
        ORDER BY w.id
        FOR NO KEY UPDATE SKIP LOCKED);
    busy := ARRAY(
        WITH drafts AS MATERIALIZED (
            SELECT t.work_order_id, t.id
            FROM task_sync.task t
            WHERE t.work_order_id = ANY (claimed) AND t.origin = 'generated' AND t.status = 'draft'
        ),
        drafts_held AS MATERIALIZED (
            SELECT t.id
            FROM task_sync.task t
            WHERE t.work_order_id = ANY (claimed) AND t.origin = 'generated' AND t.status = 'draft'
            FOR UPDATE SKIP LOCKED
        )
        SELECT DISTINCT d.work_order_id FROM drafts d WHERE NOT EXISTS (SELECT FROM drafts_held h WHERE h.id = d.id));
END
$$;

COMMENT ON FUNCTION task_sync_internal._claim(bigint[]) IS
    'Claims work orders for a batch sync without waiting: the ones locked, and those of them busy';

CREATE OR REPLACE FUNCTION task_sync_internal._paused()
RETURNS TABLE (work_order_id bigint)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT f.work_order_id
    FROM task_sync.sync_failure f
    WHERE f.retry_after > clock_timestamp()
      AND f.definition_version >= (SELECT w.synced_version FROM task_sync.work_order w WHERE w.id = f.work_order_id)
          + coalesce((SELECT sum(m.weight) FROM task_sync.work_order_mark m
                      WHERE m.work_order_id = f.work_order_id), 0);
END;

COMMENT ON FUNCTION task_sync_internal._paused() IS
    'The work orders sync_pending passes over now, because their last batch sync failed';

CREATE OR REPLACE FUNCTION task_sync_internal._write_books(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
    p_restore_dismissed boolean, p_via text, p_marks bigint[], p_plan_hash text,
    p_changes task_sync_internal.change[])
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
    RETURN QUERY
    WITH wo AS MATERIALIZED (
        -- the state before this statement's writes (one snapshot for the whole statement)
        SELECT w.id, w.synced_version
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
    ),
    taken AS (
        DELETE FROM task_sync.work_order_mark m
        WHERE m.work_order_id = ANY (p_work_order_ids) AND m.id = ANY (p_marks)
        RETURNING m.work_order_id, m.weight
    ),
    taken_per_wo AS (
        SELECT taken.work_order_id, sum(taken.weight) AS n FROM taken GROUP BY taken.work_order_id
    ),
    recovered AS (
        -- side effect only: a work order synced is no longer a failed one
        DELETE FROM task_sync.sync_failure f
        WHERE f.work_order_id = ANY (p_work_order_ids)
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
        FROM unnest(p_changes) a
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
        -- side effect only: the marks taken in raise synced_version. A sync that changed anything
        -- writes the row even when no mark was taken (a new version, same values), so that a sync
        -- of it whose snapshot is older (REPEATABLE READ, SERIALIZABLE) fails at the row lock with
        -- 40001 instead of adding the same drafts again (_write_tasks)
        UPDATE task_sync.work_order w
        SET synced_version = p.to_version
        FROM per_wo p
        WHERE w.id = ANY (p_work_order_ids) AND w.id = p.id
          AND (p.to_version <> p.from_version OR p.n_add + p.n_remove + p.n_update + p.n_conflict > 0)
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
        -- side effect only: the audit's items, each change under its work order's run
        INSERT INTO task_sync.sync_item
        SELECT runs.id, a.*
        FROM unnest(p_changes) a
        JOIN runs ON runs.work_order_id = a.work_order_id
    )
    SELECT p.id, runs.id, p.plan_hash, p.n_add, p.n_remove, p.n_update, p.n_conflict, p.to_version
    FROM per_wo p
    LEFT JOIN runs ON runs.work_order_id = p.id
    ORDER BY p.id;
END
$$;

COMMENT ON FUNCTION task_sync_internal._write_books(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text, task_sync_internal.change[]) IS
    'The books of a sync: marks taken in, versions, sync_run and sync_item rows (the second part of _apply)';

CREATE OR REPLACE FUNCTION task_sync_internal._write_tasks(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean)
RETURNS SETOF task_sync_internal.change
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT * FROM unnest(p_rows)
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
        -- a plain insert (ON CONFLICT's speculative insertion cost 7 % of an initial batch): no
        -- generated task with this key can appear after the plan was read, since only the engine
        -- adds them (tg_any__guard_columns keeps writers to origin manual), under the work
        -- order's row lock, and at READ COMMITTED the plan is read after the lock is taken; a
        -- sync at REPEATABLE READ or SERIALIZABLE whose snapshot predates another's is refused
        -- at the lock (40001), because a sync that changes anything writes the work order row
        -- (_write_books)
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
        -- side effect only (nothing reads it: PostgreSQL runs every data-modifying WITH statement to
        -- completion, read or not).
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
    )
    -- the changes, as the audit records them: the values before and after
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
    WHERE upd.action <> 'keep';
END
$$;

COMMENT ON FUNCTION task_sync_internal._write_tasks(bigint[], task_sync.plan_row[], boolean) IS
    'The task writes of a computed plan, in one statement, and the changes they made (the first part of _apply)';

CREATE OR REPLACE FUNCTION task_sync.sync_pending(p_limit integer DEFAULT NULL, p_skip bigint[] DEFAULT NULL)
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
-- the planner settings and why: docs/scaling.md, "The planner settings of the engine's calls"
SET enable_nestloop = off
SET jit = off
AS $$
DECLARE
    c_chunk     CONSTANT integer := 500;    -- work orders per chunk, at least
    c_chunks    CONSTANT integer := 40;     -- chunks the backlog is cut into, at most (when larger)
    c_budget    CONSTANT integer := 60;     -- committed subtransactions per call (PostgreSQL caches 64)
    c_ahead     CONSTANT integer := 4;      -- chunks of candidates read at once
    v_used      integer := 0;               -- committed so far
    v_left      integer := p_limit;         -- how many more may be synced (NULL: no limit)
    v_size      integer := c_chunk;         -- work orders per chunk
    v_pass      integer := 0;
    v_seen      bigint[] := coalesce(p_skip, '{}'::bigint[]);  -- tried in this call, or not to be tried
    v_next      record;                     -- candidates, and closed jobs met
    v_queue     bigint[] := '{}'::bigint[]; -- candidates read and not yet tried, longest waiting first
    v_chunk     bigint[];
    v_ranges    integer[];                  -- groups of the chunk still to try: (first, last) index pairs
    v_busy      bigint[] := '{}'::bigint[]; -- found busy in this call: left out of every group
    v_first     integer;
    v_last      integer;
    v_group     bigint[];
    v_try       record;                     -- what an attempt did
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.sync_pending');
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;
    -- the chunks' size: a fortieth of a large backlog (counted only for a call that may sync more
    -- than a chunk)
    IF p_limit IS NULL OR p_limit > c_chunk THEN
        v_size := greatest(c_chunk, ceil(least(
            (SELECT count(*) FROM task_sync_internal._queue() c WHERE c.may_sync),
            coalesce(p_limit, 2147483647))::numeric / c_chunks)::integer);
    END IF;
    -- the first pass always runs: sync_pending(0) parks the closed jobs' marks and syncs nothing
    WHILE (v_pass = 0 OR v_left IS NULL OR v_left > 0) AND v_used < c_budget LOOP
        v_pass := v_pass + 1;
        -- 1. candidates, read for a few chunks at once (each read scans the oldest marks); one
        -- that another session synced meanwhile has no mark left when claimed, and is passed over
        IF cardinality(v_queue) = 0 THEN
            v_next := task_sync_internal._candidates(least(c_ahead * v_size, coalesce(v_left, c_ahead * v_size)),
                                                     v_seen);
            IF cardinality(v_next.closed) > 0 THEN
                PERFORM task_sync_internal._park_marks(v_next.closed);
            END IF;
            v_queue := v_next.try;
            v_seen := v_seen || v_next.try;
        END IF;
        EXIT WHEN cardinality(v_queue) = 0;
        v_chunk := v_queue[1:least(v_size, coalesce(v_left, v_size))];
        v_queue := v_queue[cardinality(v_chunk) + 1:];
        -- 2 to 4, a group at a time, the whole chunk first
        v_ranges := ARRAY[1, cardinality(v_chunk)];
        WHILE cardinality(v_ranges) > 0 AND v_used < c_budget LOOP
            v_first := v_ranges[1];
            v_last := v_ranges[2];
            v_ranges := v_ranges[3:];
            v_group := ARRAY(SELECT g FROM unnest(v_chunk[v_first:v_last]) AS g WHERE g <> ALL (v_busy));
            CONTINUE WHEN cardinality(v_group) = 0;
            v_try := task_sync_internal._attempt(v_group);
            IF cardinality(v_try.busy) > 0 THEN
                -- the same group again, without the busy ones
                v_busy := v_busy || v_try.busy;
                v_ranges := ARRAY[v_first, v_last] || v_ranges;
            ELSIF v_try.failed_state IS NULL THEN
                RETURN QUERY SELECT * FROM unnest(v_try.synced);
                v_left := v_left - cardinality(v_try.synced);
                v_used := v_used + 1;
            ELSIF cardinality(v_group) > 1 THEN
                -- again in halves, down to the one that fails
                v_ranges := ARRAY[v_first, (v_first + v_last) / 2, (v_first + v_last) / 2 + 1, v_last] || v_ranges;
            ELSE
                PERFORM task_sync_internal._record_failure(v_group[1], v_try.failed_state, v_try.failed_message,
                                                           v_try.failed_detail);
            END IF;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION task_sync.sync_pending(integer, bigint[]) IS
    'sync_pending(p_limit NULL, p_skip NULL) -> rows: syncs pending work orders set-based (at most p_limit; '
    'NULL: all; never those in p_skip), never waiting: what another session holds stays pending, a work '
    'order whose sync fails is recorded in sync_failure and the others are synced. TSC07: a read-only '
    'transaction (run it on the primary); TSV01: negative limit';

DROP FUNCTION task_sync_internal._failure_pause(bigint, bigint);

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
