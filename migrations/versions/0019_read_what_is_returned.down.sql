-- 0019_read_what_is_returned down: back to 0018_keep_up.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

DROP INDEX task_sync.work_order_mark__marked_at_work_order_id_idx;
CREATE INDEX work_order_mark__marked_at_id_idx ON task_sync.work_order_mark (marked_at, id);

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

CREATE OR REPLACE FUNCTION task_sync_internal._plan_rows(
    p_work_order_ids bigint[], p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS SETOF task_sync.plan_row
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS MATERIALIZED (
        SELECT * FROM task_sync_internal._desired(p_work_order_ids)
    ),
    g AS MATERIALIZED (
        -- generated tasks, draft and formal; wpk is the key's process, 0 once the process is deleted
        SELECT t.id, t.work_order_id, t.work_order_process_id, coalesce(t.work_order_process_id, 0) AS wpk,
               t.task_type, t.source_kind, t.source_id, t.status <> 'draft' AS formal,
               -- for each synced field, joined by ",":
               --   t.{name}, t.generated_{name}
               t.work_content, t.generated_work_content,
               t.production_quantity, t.generated_production_quantity
               -- end
        FROM task_sync.task t
        WHERE t.work_order_id = ANY (p_work_order_ids) AND t.origin = 'generated'
    ),
    missing_key AS (
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id FROM d
        EXCEPT
        SELECT work_order_id, wpk, task_type, source_kind, source_id FROM g
    ),
    dismissed_key AS (
        SELECT * FROM missing_key
        INTERSECT
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id
        FROM task_sync.task_dismissal
        WHERE work_order_id = ANY (p_work_order_ids)
    ),
    gone_key AS (
        SELECT work_order_id, wpk, task_type, source_kind, source_id FROM g
        EXCEPT
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id FROM d
    ),
    matched AS (
        SELECT g.*, d.process_code,
               -- for each synced field, joined by ",":
               --   d.{name} AS desired_{name},
               --   task_sync_internal._field_outcome(g.{name}, g.generated_{name}, d.{name}) AS {name}_outcome
               d.work_content AS desired_work_content,
               task_sync_internal._field_outcome(g.work_content, g.generated_work_content, d.work_content) AS work_content_outcome,
               d.production_quantity AS desired_production_quantity,
               task_sync_internal._field_outcome(g.production_quantity, g.generated_production_quantity, d.production_quantity) AS production_quantity_outcome
               -- end
        FROM g
        JOIN d ON d.work_order_id = g.work_order_id AND d.work_order_process_id = g.wpk
              AND d.task_type = g.task_type AND d.source_kind = g.source_kind AND d.source_id = g.source_id
        WHERE NOT g.formal
    )
    -- each line built by name (_plan_line); the three kinds of line:
    -- keys in D with no generated task
    SELECT (task_sync_internal._plan_line(
               work_order_id => d.work_order_id,
               action => CASE WHEN dismissed AND NOT p_restore_dismissed THEN 'dismissed' ELSE 'add' END,
               work_order_process_id => d.work_order_process_id, process_code => d.process_code,
               task_type => d.task_type, source_kind => d.source_kind, source_id => d.source_id,
               -- for each synced field:
               --   desired_{name} => d.{name},
               desired_work_content => d.work_content,
               desired_production_quantity => d.production_quantity,
               -- end
               restored => dismissed AND p_restore_dismissed)).*
    FROM d
    CROSS JOIN LATERAL (
        SELECT (d.work_order_id, d.work_order_process_id, d.task_type, d.source_kind, d.source_id)
               IN (SELECT * FROM dismissed_key) AS dismissed) x
    WHERE (d.work_order_id, d.work_order_process_id, d.task_type, d.source_kind, d.source_id)
          IN (SELECT * FROM missing_key)
    UNION ALL
    -- generated tasks whose key left D
    SELECT (task_sync_internal._plan_line(
               work_order_id => g.work_order_id, action => CASE WHEN g.formal THEN 'orphaned' ELSE 'remove' END,
               task_id => g.id, work_order_process_id => g.work_order_process_id, process_code => p.code,
               task_type => g.task_type, source_kind => g.source_kind, source_id => g.source_id,
               -- for each synced field:
               --   current_{name} => g.{name}, baseline_{name} => g.generated_{name},
               current_work_content => g.work_content, baseline_work_content => g.generated_work_content,
               current_production_quantity => g.production_quantity, baseline_production_quantity => g.generated_production_quantity,
               -- end
               edited => (
                   -- for each synced field, joined by "OR":
                   --   g.{name} IS DISTINCT FROM g.generated_{name}
                   g.work_content IS DISTINCT FROM g.generated_work_content
                   OR g.production_quantity IS DISTINCT FROM g.generated_production_quantity
                   -- end
                   ))).*
    FROM g
    LEFT JOIN task_sync.work_order_process wop
           ON wop.work_order_id = g.work_order_id AND wop.id = g.work_order_process_id
          AND wop.work_order_id = ANY (p_work_order_ids)   -- bounded scan, also when hashing
    LEFT JOIN task_sync.process p ON p.id = wop.process_id
    WHERE (g.work_order_id, g.wpk, g.task_type, g.source_kind, g.source_id) IN (SELECT * FROM gone_key)
    UNION ALL
    -- drafts whose key is in D, three ways: a conflict the sync does not write stays a conflict,
    -- any field it writes makes an update (_field_writes), else the draft is kept
    SELECT (task_sync_internal._plan_line(
               work_order_id => m.work_order_id,
               action => CASE WHEN (
                                  -- for each synced field, joined by "OR":
                                  --   (m.{name}_outcome = 'conflict'
                                  --    AND NOT task_sync_internal._field_writes(m.{name}_outcome, p_overwrite_edits))
                                  (m.work_content_outcome = 'conflict'
                                   AND NOT task_sync_internal._field_writes(m.work_content_outcome, p_overwrite_edits))
                                  OR (m.production_quantity_outcome = 'conflict'
                                   AND NOT task_sync_internal._field_writes(m.production_quantity_outcome, p_overwrite_edits))
                                  -- end
                                  ) THEN 'conflict'
                              WHEN (
                                  -- for each synced field, joined by "OR":
                                  --   task_sync_internal._field_writes(m.{name}_outcome, p_overwrite_edits)
                                  task_sync_internal._field_writes(m.work_content_outcome, p_overwrite_edits)
                                  OR task_sync_internal._field_writes(m.production_quantity_outcome, p_overwrite_edits)
                                  -- end
                                  ) THEN 'update'
                              ELSE 'keep' END,
               task_id => m.id, work_order_process_id => m.work_order_process_id, process_code => m.process_code,
               task_type => m.task_type, source_kind => m.source_kind, source_id => m.source_id,
               -- for each synced field:
               --   current_{name} => m.{name}, baseline_{name} => m.generated_{name},
               --   desired_{name} => m.desired_{name},
               current_work_content => m.work_content, baseline_work_content => m.generated_work_content,
               desired_work_content => m.desired_work_content,
               current_production_quantity => m.production_quantity, baseline_production_quantity => m.generated_production_quantity,
               desired_production_quantity => m.desired_production_quantity,
               -- end
               edited => (
                   -- for each synced field, joined by "OR":
                   --   m.{name} IS DISTINCT FROM m.generated_{name}
                   m.work_content IS DISTINCT FROM m.generated_work_content
                   OR m.production_quantity IS DISTINCT FROM m.generated_production_quantity
                   -- end
                   ),
               update_fields => array_remove(ARRAY[
                   -- for each synced field, joined by ",":
                   --   CASE WHEN task_sync_internal._field_writes(m.{name}_outcome, p_overwrite_edits) THEN '{name}' END
                   CASE WHEN task_sync_internal._field_writes(m.work_content_outcome, p_overwrite_edits) THEN 'work_content' END,
                   CASE WHEN task_sync_internal._field_writes(m.production_quantity_outcome, p_overwrite_edits) THEN 'production_quantity' END
                   -- end
                   ], NULL),
               conflict_fields => array_remove(ARRAY[
                   -- for each synced field, joined by ",":
                   --   CASE WHEN m.{name}_outcome = 'conflict' THEN '{name}' END
                   CASE WHEN m.work_content_outcome = 'conflict' THEN 'work_content' END,
                   CASE WHEN m.production_quantity_outcome = 'conflict' THEN 'production_quantity' END
                   -- end
                   ], NULL),
               overwritten => p_overwrite_edits AND 'conflict' IN (
                   -- for each synced field, joined by ",":
                   --   m.{name}_outcome
                   m.work_content_outcome,
                   m.production_quantity_outcome
                   -- end
                   ))).*
    FROM matched m
$$;

COMMENT ON FUNCTION task_sync_internal._plan_rows(bigint[], boolean, boolean) IS
    'The sync plan of these work orders, unordered, including internal keep lines';

CREATE OR REPLACE FUNCTION task_sync.pending(p_limit integer DEFAULT NULL)
RETURNS TABLE (
    work_order_id       bigint,
    order_number        text,
    definition_version  bigint,
    synced_version      bigint,
    pending_since       timestamptz,
    last_error          text,
    retry_after         timestamptz,
    reason              text,
    advice              text
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync_internal._check_limit(p_limit);
    RETURN QUERY
        WITH q AS MATERIALIZED (
            SELECT c.work_order_id, c.order_number, c.synced_version + c.weight AS definition_version,
                   c.synced_version, c.pending_since, f.work_order_id IS NOT NULL AS failed,
                   f.sqlstate || ': ' || f.message AS last_error,
                   f.retry_after, f.reason, f.advice,
                   f.retry_after > clock_timestamp() AND f.definition_version >= c.synced_version + c.weight AS paused
            FROM task_sync_internal._queue() c
            LEFT JOIN task_sync.sync_failure f ON f.work_order_id = c.work_order_id
            WHERE c.may_sync
            ORDER BY c.pending_since, c.work_order_id
            LIMIT p_limit
        ),
        busy AS (
            SELECT unnest(task_sync_internal._busy(ARRAY(
                SELECT q.work_order_id FROM q WHERE NOT coalesce(q.paused, false)
                ORDER BY q.pending_since, q.work_order_id LIMIT 200))) AS work_order_id
        )
        SELECT q.work_order_id, q.order_number, q.definition_version, q.synced_version, q.pending_since,
               q.last_error, q.retry_after,
               CASE WHEN q.paused THEN q.reason
                    WHEN b.work_order_id IS NOT NULL THEN 'busy'
                    WHEN q.failed THEN 'retry'
                    ELSE 'waiting' END,
               CASE WHEN q.paused THEN q.advice
                    WHEN b.work_order_id IS NOT NULL THEN
                        'Another session holds it now (a sync of it, or an open edit of the work order or of one of '
                        'its drafts): sync_pending passes over it; a later call takes it once that transaction ends.'
                    WHEN q.failed THEN
                        'Its last batch sync failed (last_error) and its pause is over: the next sync_pending tries '
                        'it again. ' || q.advice
                    ELSE 'Nothing holds it back: the next sync_pending syncs it (or task_sync.execute(id, true)).' END
        FROM q
        LEFT JOIN busy b ON b.work_order_id = q.work_order_id
        ORDER BY q.pending_since, q.work_order_id;
END
$$;

COMMENT ON FUNCTION task_sync.pending(integer) IS
    'pending(p_limit NULL) -> rows: work orders that need a sync and may be synced, longest waiting '
    'first (at most p_limit; NULL: all), with the error of a failed batch sync, why it waits (reason) and what to '
    'do (advice). TSV01: negative limit';

CREATE OR REPLACE FUNCTION task_sync.plan_pending(p_limit integer DEFAULT NULL)
RETURNS SETOF task_sync.plan_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- the planner settings and why: docs/scaling.md, "The planner settings of the engine's calls"
SET enable_nestloop = off
SET jit = off
AS $$
BEGIN
    PERFORM task_sync_internal._check_limit(p_limit);
    -- the work orders pending() lists, read from _queue as pending() reads them, without the reason
    -- pending() gives each: its _busy takes row locks (a transaction id, a WAL record per draft,
    -- a flush at commit) for a word no plan needs
    RETURN QUERY
        SELECT (i.r).*
        FROM task_sync_internal._items(ARRAY(
                SELECT r
                FROM task_sync_internal._plan_rows(ARRAY(
                    SELECT c.work_order_id
                    FROM task_sync_internal._queue() c
                    WHERE c.may_sync
                    ORDER BY c.pending_since, c.work_order_id
                    LIMIT p_limit)) AS r)) AS i
        ORDER BY i.ord;
END
$$;

COMMENT ON FUNCTION task_sync.plan_pending(integer) IS
    'plan_pending(p_limit): the visible plan items of every pending work order (at most p_limit, NULL: all), '
    'set-based and read-only: a fleet-wide what-if of a rule change inside a rolled-back transaction. TSV01: negative limit';

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
    c_probe     CONSTANT integer := 64;     -- a group this small that met a row changed since the snapshot is probed
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
    v_stale     bigint[] := '{}'::bigint[]; -- changed since this call's snapshot: left out too
    v_probed    bigint[];
    v_detail    text;                       -- of a serialization failure caught
    v_first     integer;
    v_last      integer;
    v_group     bigint[];
    v_try       record;                     -- what an attempt did
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.sync_pending');
    PERFORM task_sync_internal._check_limit(p_limit);
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
            IF cardinality(v_next.closed) > 0 AND task_sync_internal._keep_up('park', v_next.closed) THEN
                v_used := v_used + 1;
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
            v_group := ARRAY(SELECT g FROM unnest(v_chunk[v_first:v_last]) AS g WHERE g <> ALL (v_busy || v_stale));
            CONTINUE WHEN cardinality(v_group) = 0;
            v_try := task_sync_internal._attempt(v_group);
            -- (REPEATABLE READ, SERIALIZABLE) a row of the group changed since this call's
            -- snapshot: in a small group, the work orders whose rows a probe finds changed
            v_probed := CASE WHEN v_try.failed_state = '40001' AND cardinality(v_group) BETWEEN 2 AND c_probe
                             THEN task_sync_internal._stale(v_group) ELSE '{}' END;
            IF cardinality(v_try.busy) > 0 OR cardinality(v_probed) > 0 THEN
                -- the same group again, without the busy ones and those changed since the snapshot
                -- (a later call syncs them)
                v_busy := v_busy || v_try.busy;
                v_stale := v_stale || v_probed;
                v_ranges := ARRAY[v_first, v_last] || v_ranges;
            ELSIF v_try.failed_state IS NULL THEN
                RETURN QUERY SELECT * FROM unnest(v_try.synced);
                v_left := v_left - cardinality(v_try.synced);
                v_used := v_used + 1;
            ELSIF cardinality(v_group) > 1 THEN
                -- again in halves, down to the one that fails (or changed since the snapshot)
                v_ranges := ARRAY[v_first, (v_first + v_last) / 2, (v_first + v_last) / 2 + 1, v_last] || v_ranges;
            ELSIF v_try.failed_state <> '40001' THEN
                BEGIN
                    PERFORM task_sync_internal._record_failure(v_group[1], v_try.failed_state, v_try.failed_message,
                                                               v_try.failed_detail);
                    v_used := v_used + 1;
                EXCEPTION WHEN serialization_failure THEN
                    -- it changed since this call's snapshot: a later call tries it again
                    -- (a conflict of serializable transactions is the caller's)
                    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
                    IF v_detail LIKE 'Reason code:%' THEN
                        RAISE;
                    END IF;
                END;
            END IF;
            -- (a lone 40001: the work order changed since this call's snapshot; a later call syncs it)
        END LOOP;
    END LOOP;
    -- the marks of the work orders found busy and of those the caller passes over (the worker's
    -- too big ones), which keep changing while they wait, are folded into one each, so that they
    -- do not pile up
    IF cardinality(v_busy || p_skip) > 0 THEN
        PERFORM task_sync_internal._keep_up('fold', v_busy || p_skip);
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync.sync_pending(integer, bigint[]) IS
    'sync_pending(p_limit NULL, p_skip NULL) -> rows: syncs pending work orders set-based (at most p_limit; '
    'NULL: all; never those in p_skip), never waiting: what another session holds stays pending, a work '
    'order whose sync fails is recorded in sync_failure and the others are synced. TSC07: a read-only '
    'transaction (run it on the primary); TSV01: negative limit';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_work_order__mark()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SECURITY DEFINER
AS $$
DECLARE
    v_moved bigint[];   -- reopened work orders whose parked marks came back: announced
BEGIN
    PERFORM task_sync_internal._mark(ARRAY(
        SELECT n.id
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE (n.order_number, n.production_quantity) IS DISTINCT FROM (o.order_number, o.production_quantity)));
    WITH reopened AS (
        SELECT n.id
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE task_sync_internal._may_sync(n.status, n.approval_status)
          AND NOT task_sync_internal._may_sync(o.status, o.approval_status)
    ),
    unparked AS (
        DELETE FROM task_sync.work_order_mark_parked p
        USING reopened r
        WHERE p.work_order_id = r.id
        RETURNING p.work_order_id, p.weight, p.since
    ),
    moved AS (
        INSERT INTO task_sync.work_order_mark AS m (work_order_id, weight, marked_at)
        SELECT u.work_order_id, least(u.weight, 2147483647)::integer, u.since FROM unparked u
        ORDER BY u.work_order_id
        ON CONFLICT (work_order_id, xact) DO UPDATE
            SET weight = m.weight + excluded.weight, marked_at = least(m.marked_at, excluded.marked_at)
        RETURNING m.work_order_id
    )
    SELECT coalesce(array_agg(moved.work_order_id), '{}'::bigint[]) INTO v_moved FROM moved;
    PERFORM pg_notify('task_sync', r::text) FROM unnest(v_moved) AS r;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order__mark() IS
    'Marks work orders whose order_number or production_quantity changed; a reopened one gets its parked marks back (statement-level)';

DROP FUNCTION task_sync_internal._waiting(integer);

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
