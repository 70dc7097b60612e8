-- task_sync_internal._hold_route(p_work_order_ids bigint[], p_route_ids bigint[]) -> bigint[]
-- Locks, FOR KEY SHARE SKIP LOCKED, the route rows p_route_ids of these work orders (the rows a
-- plan adds drafts for) and returns the ids of those it holds now. A route row added after the
-- sync locked the route is not held until then, and one deleted since the plan was read is gone
-- (its drafts would fail their foreign key); one that another session holds or deleted is missing
-- from the result. The one place execute (which then reports 40001, retry) and sync_pending (which
-- leaves that work order pending) hold the rows their plans add drafts for.
-- Locks:   those route rows FOR KEY SHARE (SKIP LOCKED: never waits).
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._hold_route(p_work_order_ids bigint[], p_route_ids bigint[])
RETURNS bigint[]
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(h.id), '{}')
    FROM (SELECT p.id
          FROM task_sync.work_order_process p
          WHERE p.work_order_id = ANY (p_work_order_ids) AND p.id = ANY (p_route_ids)
          FOR KEY SHARE SKIP LOCKED) AS h
$$;

COMMENT ON FUNCTION task_sync_internal._hold_route(bigint[], bigint[]) IS
    'Locks the route rows a plan adds drafts for (SKIP LOCKED) and returns those it holds';
