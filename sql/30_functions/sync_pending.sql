-- task_sync.sync_pending(p_limit integer DEFAULT NULL, p_skip bigint[] DEFAULT NULL)
--   -> setof (work_order_id, added, removed, updated, conflicts, sync_run_id)
-- Syncs the work orders that need it (at most p_limit, NULL: all; never those in p_skip), the one
-- waiting longest first, set-based: the desired sets, differences and writes of a chunk of work
-- orders are a few statements, not a loop over execute. Several workers can run it at once and
-- split the work. One sync_run per work order that changed. Step by step, per chunk:
--   1. candidates   the next ones waiting longest, read without locking: among the oldest 10,000
--                   marks (an index scan), or among all (_queue, as pending() reads them) when those
--                   hold too few; not those tried in this call, nor those whose last sync failed
--                   (sync_failure) until their retry_after or a new change. Closed jobs met among
--                   the oldest marks have their marks parked;
--   2. claim        _claim, never waiting; a work order another session holds (a sync of it, a
--                   planner's open edit of a draft, a route row being deleted, an application's
--                   foreign key check on a draft) is busy: it stays pending for a later call, the
--                   attempt is rolled back so that none of its locks is kept, the rest claimed again;
--   3. plan         the marks first, the plan after (see execute); the route rows the plan adds
--                   drafts for are held (_hold_route), or the work order is busy;
--   4. apply        _apply. When it fails (an application's foreign key to a draft it must remove, a
--                   trigger of one's own, ...), the chunk is tried again in halves, down to the one
--                   work order that fails, whose error is recorded in sync_failure (it stays pending,
--                   retried after a growing pause); the others are synced.
-- Each attempt is a subtransaction; PostgreSQL keeps 64 committed ones of a transaction in shared
-- memory and makes every reader of the database slower once a transaction has more, so a call
-- commits at most 60: chunks grow with the backlog (500 work orders, or a fortieth of the backlog)
-- and what does not fit stays pending for the next call (call it again while it returns rows).
-- The marks of work orders that may not be synced are parked (_park_marks: one row per work order
-- in work_order_mark_parked; reopening the work order brings them back), so that they neither pile
-- up nor slow the candidates.
-- Serialization failures and deadlocks (40001, 40P01), lock timeouts, cancellation and resource
-- errors end the call as they are: they are the caller's to retry.
-- The locks of synced work orders last until the caller's transaction ends: to keep that short
-- for a large backlog, call it with a limit in a transaction of its own, again while it returns
-- rows (the CLI and the worker do). It never waits for a row lock or a transaction; only a
-- table lock a DBA takes on purpose (LOCK TABLE) can make it wait.
-- SECURITY DEFINER (owner's rights, search_path pinned), like execute and for the same reason.
-- Locks:   per chunk, all SKIP LOCKED (never waiting): see _claim and _hold_route; the rows of
--          the closed work orders whose marks it parks FOR NO KEY UPDATE.
-- Raises:  TSC07 a read-only transaction (a hot standby: run it on the primary); TSV01 negative limit.
-- Writes:  task, task_dismissal, work_order_mark, work_order_mark_parked, work_order, sync_run,
--          sync_item, sync_failure (through _apply, and the failures it records).

CREATE FUNCTION task_sync.sync_pending(p_limit integer DEFAULT NULL, p_skip bigint[] DEFAULT NULL)
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
    v_used      integer := 0;               -- committed so far
    v_left      integer := p_limit;         -- how many more may be synced (NULL: no limit)
    c_window    CONSTANT integer := 10000;  -- the oldest marks searched first
    v_size      integer;                    -- work orders per chunk
    v_backlog   bigint;                     -- how many wait (counted for a large call only)
    v_pass      integer;
    v_want      integer;
    v_scanned   bigint;                     -- the oldest marks read
    v_closed    bigint[];                   -- closed jobs with marks, met among them
    v_seen      bigint[] := coalesce(p_skip, '{}'::bigint[]);  -- tried in this call, or not to be tried
    v_try       bigint[];                   -- the chunk's candidates
    v_ranges    integer[] := '{}'::integer[];          -- queue of groups of the chunk: (first, last) index pairs into v_try
    v_busy      bigint[] := '{}'::bigint[];           -- found busy in this call: left out of every group
    v_first     integer;
    v_last      integer;
    v_group     bigint[];
    v_claim     record;
    v_marks     bigint[];
    v_rows      task_sync.plan_row[];
    v_route     bigint[];
    v_state     text;
    v_message   text;
    v_detail    text;
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
    v_size := c_chunk;
    IF p_limit IS NULL OR p_limit > c_chunk THEN
        v_backlog := (SELECT count(*) FROM task_sync_internal._queue() c WHERE c.may_sync);
        v_size := greatest(c_chunk, ceil(least(v_backlog, coalesce(p_limit, v_backlog))::numeric / c_chunks)::integer);
    END IF;
    -- the first pass always runs: sync_pending(0) parks the closed jobs' marks and syncs nothing
    v_pass := 0;
    WHILE (v_pass = 0 OR v_left IS NULL OR v_left > 0) AND v_used < c_budget LOOP
        v_pass := v_pass + 1;
        v_want := least(v_size, coalesce(v_left, v_size));
        -- 1. candidates, longest waiting first, read without locking: first among the oldest marks
        -- only (an index scan of c_window rows: what waits longest is there, however many marks a
        -- storm of rule changes left behind it), and from every mark when those hold too few. The
        -- closed jobs met on the way have their marks parked.
        WITH oldest AS MATERIALIZED (
            SELECT m.work_order_id, m.marked_at
            FROM task_sync.work_order_mark m
            ORDER BY m.marked_at, m.id
            LIMIT c_window
        ),
        queue AS MATERIALIZED (
            SELECT o.work_order_id, min(o.marked_at) AS since,
                   task_sync_internal._may_sync(w.status, w.approval_status) AS may_sync, w.synced_version
            FROM oldest o
            JOIN task_sync.work_order w ON w.id = o.work_order_id
            GROUP BY o.work_order_id, w.status, w.approval_status, w.synced_version
        )
        SELECT ARRAY(SELECT q.work_order_id FROM queue q
                     WHERE q.may_sync AND q.work_order_id <> ALL (v_seen)
                       AND NOT task_sync_internal._failure_pause(q.work_order_id, q.synced_version)
                     ORDER BY q.since, q.work_order_id
                     LIMIT v_want),
               ARRAY(SELECT q.work_order_id FROM queue q WHERE NOT q.may_sync),
               (SELECT count(*) FROM oldest)
        INTO v_try, v_closed, v_scanned;
        IF cardinality(v_try) < v_want AND v_scanned = c_window THEN
            v_try := ARRAY(
                SELECT c.work_order_id FROM task_sync_internal._queue() c
                WHERE c.may_sync AND c.work_order_id <> ALL (v_seen)
                  AND NOT task_sync_internal._failure_pause(c.work_order_id, c.synced_version)
                ORDER BY c.pending_since, c.work_order_id
                LIMIT v_want);
        END IF;
        IF cardinality(v_closed) > 0 THEN
            PERFORM task_sync_internal._park_marks(v_closed);
        END IF;
        EXIT WHEN cardinality(v_try) = 0;
        v_seen := v_seen || v_try;
        v_ranges := ARRAY[1, cardinality(v_try)];

        WHILE cardinality(v_ranges) > 0 AND v_used < c_budget LOOP
            v_first := v_ranges[1];
            v_last := v_ranges[2];
            v_ranges := v_ranges[3:];
            v_group := ARRAY(SELECT g FROM unnest(v_try[v_first:v_last]) AS g WHERE g <> ALL (v_busy));
            CONTINUE WHEN cardinality(v_group) = 0;
            BEGIN
                -- 2. claim
                v_claim := task_sync_internal._claim(v_group);
                IF cardinality(v_claim.busy) > 0 THEN
                    -- roll this attempt back, so that no lock of a busy work order is kept
                    RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'busy work orders', DETAIL = v_claim.busy::text;
                END IF;
                -- 3. the marks first, the plan after; a work order whose marks are gone was synced by
                -- another session since the candidates were read: not this one's
                SELECT coalesce(array_agg(m.id), '{}'), coalesce(array_agg(DISTINCT m.work_order_id), '{}')
                INTO v_marks, v_group
                FROM task_sync.work_order_mark m
                WHERE m.work_order_id = ANY (v_claim.claimed);
                IF cardinality(v_group) > 0 THEN
                    -- for a client that asked for DEBUG messages (the worker: which work orders a
                    -- statement_timeout cut short)
                    RAISE DEBUG USING MESSAGE = 'pytask_sync: syncing work orders', DETAIL = v_group::text;
                    SELECT coalesce(array_agg(r), '{}'),
                           coalesce(array_agg(DISTINCT r.work_order_process_id) FILTER (WHERE r.action = 'add'), '{}')
                    INTO v_rows, v_route
                    FROM task_sync_internal._plan_rows(v_group) AS r;
                    IF cardinality(v_route) > 0 THEN
                        v_route := task_sync_internal._hold_route(v_group, v_route);
                        v_claim.busy := ARRAY(
                            SELECT DISTINCT r.work_order_id
                            FROM unnest(v_rows) AS r
                            WHERE r.action = 'add' AND r.work_order_process_id <> ALL (v_route));
                        IF cardinality(v_claim.busy) > 0 THEN
                            RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'busy work orders', DETAIL = v_claim.busy::text;
                        END IF;
                    END IF;
                    -- 4. apply
                    RETURN QUERY
                        SELECT a.work_order_id, a.added, a.removed, a.updated, a.conflicts, a.sync_run_id
                        FROM task_sync_internal._apply(v_group, v_rows, false, false, 'sync_pending', v_marks) AS a;
                    v_left := v_left - cardinality(v_group);
                END IF;
                v_used := v_used + 1;
            EXCEPTION
                WHEN SQLSTATE 'TSR01' THEN
                    -- the attempt's locks are released: claim the group again without the busy ones
                    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
                    v_busy := v_busy || v_detail::bigint[];
                    v_ranges := ARRAY[v_first, v_last] || v_ranges;
                WHEN SQLSTATE '40001' OR SQLSTATE '40P01' OR SQLSTATE '55P03' THEN
                    RAISE;  -- the caller's to retry
                WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                            v_detail = PG_EXCEPTION_DETAIL;
                    IF left(v_state, 2) IN ('53', '54', '57', '58', 'XX') THEN
                        RAISE;  -- resources, or the server itself: not one work order's doing
                    END IF;
                    IF cardinality(v_group) > 1 THEN
                        -- again in halves, down to the one that fails
                        v_ranges := ARRAY[v_first, (v_first + v_last) / 2, (v_first + v_last) / 2 + 1, v_last] || v_ranges;
                    ELSE
                        PERFORM task_sync_internal._record_failure(v_group[1], v_state, v_message, v_detail);
                    END IF;
            END;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION task_sync.sync_pending(integer, bigint[]) IS
    'sync_pending(p_limit NULL, p_skip NULL) -> rows: syncs pending work orders set-based (at most p_limit; '
    'NULL: all; never those in p_skip), never waiting: what another session holds stays pending, a work '
    'order whose sync fails is recorded in sync_failure and the others are synced. TSC07: a read-only '
    'transaction (run it on the primary); TSV01: negative limit';
