-- task_sync.sync_pending(p_limit integer DEFAULT NULL, p_skip bigint[] DEFAULT NULL)
--   -> setof (work_order_id, added, removed, updated, conflicts, sync_run_id)
-- Syncs the work orders that need it (at most p_limit, NULL: all; never those in p_skip), the one
-- waiting longest first, set-based: the desired sets, differences and writes of a chunk of work
-- orders are a few statements, not a loop over execute. Several workers can run it at once and
-- split the work. One sync_run per work order that changed. Its steps, as docs/concurrency.md
-- lists their locks:
--   1. candidates   _candidates: the next ones waiting longest, read without locking, for up to
--                   four chunks at once; the closed jobs met on the way have their marks parked
--                   (_park_marks);
--   2 to 4.         _attempt, for a group of them: claim (never waiting), plan (the marks first),
--                   hold the route rows the plan adds drafts for, apply; kept only when it synced
--                   the group. When some are busy (another session holds them), they stay pending
--                   for a later call and the group is tried again without them; when the apply
--                   fails (an application's foreign key to a draft it must remove, a trigger of
--                   one's own, ...), the group is tried again in halves, down to the one work order
--                   that fails, whose error is recorded in sync_failure (_record_failure: it stays
--                   pending, retried after a growing pause, its marks folded into one; the row is
--                   recorded holding the work order's row, which stays locked to the end of the
--                   transaction as a synced one's does, so that two batches never wait for each
--                   other's failure rows); the others are synced.
-- Each attempt is a subtransaction; PostgreSQL keeps 64 committed ones of a transaction in shared
-- memory and makes every reader of the database slower once a transaction has more, so a call
-- commits at most 60: chunks grow with the backlog (500 work orders, or a fortieth of the backlog)
-- and what does not fit stays pending for the next call (call it again while it returns rows).
-- The marks of work orders that may not be synced are parked (_park_marks: one row per work order
-- in work_order_mark_parked; reopening the work order brings them back), so that they neither pile
-- up nor slow the candidates.
-- At REPEATABLE READ and SERIALIZABLE, a work order whose rows changed since the call's snapshot
-- (locking them fails with 40001) is left to a later call, not recorded: found by a probe of each
-- work order of a group of at most 64 (_stale), else as a failing one is (in halves). Parking
-- and folds leave such work orders out and do the others (_keep_up); a failure whose work order
-- changed is recorded by a later call. The marks of the work orders found busy are folded into
-- one each at the end.
-- Conflicts of serializable transactions, deadlocks (40P01), lock timeouts, cancellation and
-- resource errors end the call as they are: they are the caller's to retry.
-- The locks of synced work orders last until the caller's transaction ends: to keep that short
-- for a large backlog, call it with a limit in a transaction of its own, again while it returns
-- rows (the CLI and the worker do). It never waits for a row lock or a transaction; only a
-- table lock a DBA takes on purpose (LOCK TABLE) can make it wait.
-- SECURITY DEFINER (owner's rights, search_path pinned), like execute and for the same reason.
-- Locks:   per chunk, all SKIP LOCKED (never waiting): see _claim and _hold_route; the rows of
--          the closed work orders whose marks it parks, of a work order whose failure it records
--          and of those found busy or in p_skip whose marks it folds, FOR NO KEY UPDATE.
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
    -- than a chunk, from the marks alone: closed jobs not yet parked count too, near enough for a
    -- size, and no work order is read for it)
    IF p_limit IS NULL OR p_limit > c_chunk THEN
        v_size := greatest(c_chunk, ceil(least(
            (SELECT count(DISTINCT m.work_order_id) FROM task_sync.work_order_mark m),
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
