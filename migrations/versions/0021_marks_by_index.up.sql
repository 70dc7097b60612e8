-- 0021_marks_by_index up: The marks read by their indexes, however large their table grew; pending's drafts searched once, its queue joined by hash.
-- Frozen from the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE OR REPLACE FUNCTION task_sync_internal._busy(p_work_order_ids bigint[])
RETURNS bigint[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_busy  bigint[] := '{}'::bigint[];
BEGIN
    IF coalesce(cardinality(p_work_order_ids), 0) = 0 OR current_setting('transaction_read_only')::boolean THEN
        RETURN v_busy;
    END IF;
    BEGIN
        v_busy := ARRAY(
            WITH free AS MATERIALIZED (
                SELECT w.id FROM task_sync.work_order w
                WHERE w.id = ANY (p_work_order_ids)
                FOR SHARE SKIP LOCKED
            ),
            drafts AS MATERIALIZED (
                SELECT t.work_order_id, t.id, t.ctid FROM task_sync.task t
                WHERE t.work_order_id = ANY (p_work_order_ids) AND t.origin = 'generated' AND t.status = 'draft'
            ),
            -- the same rows, by where they lie (a second search of the index cost each work order
            -- a descent at ten million tasks; with no other condition, a TID scan is the one path)
            drafts_free AS MATERIALIZED (
                SELECT t.id FROM task_sync.task t
                WHERE t.ctid = ANY (ARRAY(SELECT d.ctid FROM drafts d))
                FOR UPDATE SKIP LOCKED
            )
            SELECT i FROM unnest(p_work_order_ids) AS i WHERE NOT EXISTS (SELECT FROM free WHERE free.id = i)
            UNION
            SELECT d.work_order_id FROM drafts d WHERE NOT EXISTS (SELECT FROM drafts_free f WHERE f.id = d.id));
        RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'TSR01: looked';  -- roll back: keep no lock
    EXCEPTION
        WHEN SQLSTATE 'TSR01' THEN
            NULL;
        WHEN SQLSTATE '40001' THEN
            v_busy := '{}';     -- REPEATABLE READ: a row changed since the snapshot; nothing to say
    END;
    RETURN v_busy;
END
$$;

COMMENT ON FUNCTION task_sync_internal._busy(bigint[]) IS
    'Which of these work orders another session holds now (rows locked, never waiting, nothing kept)';

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
        FROM task_sync_internal._oldest_marks(c_window) m
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

CREATE OR REPLACE FUNCTION task_sync_internal._oldest_marks(p_limit integer)
RETURNS TABLE (work_order_id bigint, marked_at timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
AS $$
    SELECT m.work_order_id, m.marked_at
    FROM task_sync.work_order_mark m
    ORDER BY m.marked_at, m.work_order_id
    LIMIT p_limit
$$;

COMMENT ON FUNCTION task_sync_internal._oldest_marks(integer) IS
    'The p_limit oldest marks (NULL: all), by (marked_at, work_order_id), read by their index';

CREATE OR REPLACE FUNCTION task_sync_internal._waiting(p_limit integer)
RETURNS TABLE (
    work_order_id   bigint,
    order_number    text,
    synced_version  bigint,
    weight          bigint,
    pending_since   timestamptz
)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH oldest AS MATERIALIZED (
        SELECT x.work_order_id, x.marked_at
        FROM task_sync_internal._oldest_marks(CASE WHEN p_limit IS NOT NULL THEN greatest(1000, 10 * p_limit) END) x
    ),
    -- the work orders met, numbered in the order they wait
    m AS MATERIALIZED (
        SELECT o.work_order_id, min(o.marked_at) AS since,
               row_number() OVER (ORDER BY min(o.marked_at), o.work_order_id) AS n
        FROM oldest o
        GROUP BY o.work_order_id
    ),
    head AS MATERIALIZED (
        SELECT w.id, w.order_number, w.synced_version,
               task_sync_internal._may_sync(w.status, w.approval_status) AS may_sync
        FROM task_sync.work_order w
        WHERE w.id = ANY (ARRAY(SELECT m.work_order_id FROM m WHERE p_limit IS NULL OR m.n <= p_limit))
    ),
    tail AS MATERIALIZED (
        -- read only when the head falls short (a test without columns: checked once, before the scan)
        SELECT w.id, w.order_number, w.synced_version,
               task_sync_internal._may_sync(w.status, w.approval_status) AS may_sync
        FROM task_sync.work_order w
        WHERE EXISTS (SELECT FROM head WHERE NOT head.may_sync)
          AND w.id = ANY (ARRAY(SELECT m.work_order_id FROM m WHERE m.n > p_limit))
    ),
    found AS MATERIALIZED (
        SELECT m.work_order_id, h.order_number, h.synced_version, m.since
        FROM m
        JOIN (SELECT * FROM head UNION ALL SELECT * FROM tail) AS h ON h.id = m.work_order_id
        WHERE h.may_sync
        ORDER BY m.since, m.work_order_id
        LIMIT p_limit
    ),
    -- too few among the oldest marks, and there are more: every mark and marked work order (read
    -- only then, the tests without columns checked once)
    rest AS MATERIALIZED (
        SELECT q.work_order_id, q.order_number, q.synced_version, q.pending_since AS since
        FROM task_sync_internal._queue() q
        WHERE (SELECT count(*) FROM found) < p_limit
          AND (SELECT count(*) FROM oldest) = greatest(1000, 10 * p_limit)
          AND q.may_sync
        ORDER BY q.pending_since, q.work_order_id
        LIMIT p_limit
    ),
    chosen AS (
        SELECT * FROM found WHERE NOT EXISTS (SELECT FROM rest)
        UNION ALL
        SELECT * FROM rest
    )
    SELECT c.work_order_id, c.order_number, c.synced_version,
           (SELECT sum(x.weight) FROM task_sync.work_order_mark x WHERE x.work_order_id = c.work_order_id),
           c.since
    FROM chosen c
    ORDER BY c.since, c.work_order_id;
END;

COMMENT ON FUNCTION task_sync_internal._waiting(integer) IS
    'The first p_limit work orders that wait, longest waiting first, reading only those (the source of pending and plan_pending)';

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
-- the planner settings and why: docs/scaling.md, "The planner settings of the engine's calls"
SET enable_nestloop = off
SET jit = off
SET enable_seqscan = off
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
            FROM task_sync_internal._waiting(p_limit) c
            LEFT JOIN task_sync.sync_failure f ON f.work_order_id = c.work_order_id
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


GRANT EXECUTE ON FUNCTION task_sync_internal._oldest_marks(integer) TO task_sync_reader;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
