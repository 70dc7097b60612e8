-- task_sync.pending(p_limit integer DEFAULT NULL)
--   -> setof (work_order_id, order_number, definition_version, synced_version, pending_since,
--             last_error, retry_after, reason, advice)
-- The work orders that need a sync and may be synced (_waiting), the one waiting longest
-- first; at most p_limit of them (NULL: all). definition_version is synced_version plus the
-- changes its marks stand for; pending_since is when the oldest of them was made. last_error and
-- retry_after say why sync_pending could not sync it last time and until when it passes over it
-- (NULL when its last sync did not fail; execute is not held back). reason says why it is not
-- synced yet and advice what to do:
--   waiting  nothing holds it back: the next sync_pending syncs it;
--   busy     another session holds it now (a sync of it, an open edit of the work order or of one
--            of its drafts, an application's foreign key check on a draft): sync_pending passes
--            over it and a later call takes it (looked at, without waiting or keeping a lock, for
--            the 200 that wait longest, on a primary: _busy);
--   failed   its last batch sync failed (last_error) and sync_pending passes over it until
--            retry_after or a change of its inputs;
--   too_big  its sync alone outlasted a caller's statement_timeout (last_error names the limit),
--            passed over likewise;
--   retry    its last batch sync failed, and the pause is over: the next sync_pending tries again.
-- Locks:   none kept. _busy looks at the 200 that wait longest by locking their rows (SKIP LOCKED)
--          in a subtransaction it rolls back: on a primary that gives the call a transaction id
--          and a WAL record per row it locked, flushed at commit (plan_pending, which does not
--          ask why, takes no lock). Plain reads otherwise.
-- Raises:  TSV01 negative limit.
-- Writes:  no rows.

CREATE FUNCTION task_sync.pending(p_limit integer DEFAULT NULL)
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
