-- task_sync.plan_pending(p_limit integer DEFAULT NULL) -> setof task_sync.plan_row
-- The plans of the work orders that need a sync and may be synced (at most p_limit of them, the
-- longest waiting first, as pending() orders them; NULL: all), set-based: one _plan_rows over all
-- of them. Returns the visible items, as plan() returns them (no 'keep' lines), each with its
-- work_order_id, in plan()'s order (by work order first: _items). Read-only: it
-- is what a fleet-wide what-if reads, inside a transaction that changes a rule and rolls back:
--     BEGIN;
--     UPDATE task_sync.generation_rule SET content_template = ... WHERE process_code = 'PRT';
--     SELECT action, count(*) FROM task_sync.plan_pending() GROUP BY action;
--     ROLLBACK;
-- The plans are those of execute without flags. A rule change marks the work orders it reaches,
-- so they are pending inside that transaction.
-- Locks:   none (plain reads).
-- Raises:  TSV01 negative limit.
-- Writes:  nothing.

CREATE FUNCTION task_sync.plan_pending(p_limit integer DEFAULT NULL)
RETURNS SETOF task_sync.plan_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- the planner settings and why: docs/scaling.md, "The planner settings of the engine's calls"
SET enable_nestloop = off
SET jit = off
AS $$
BEGIN
    PERFORM task_sync_internal._check_limit(p_limit);
    -- the work orders pending() lists, read from _waiting as pending() reads them, without the
    -- reason pending() gives each: its _busy takes row locks (a transaction id, a WAL record per
    -- draft, a flush at commit) for a word no plan needs
    RETURN QUERY
        SELECT (i.r).*
        FROM task_sync_internal._items(ARRAY(
                SELECT r
                FROM task_sync_internal._plan_rows(ARRAY(
                    SELECT c.work_order_id FROM task_sync_internal._waiting(p_limit) c)) AS r)) AS i
        ORDER BY i.ord;
END
$$;

COMMENT ON FUNCTION task_sync.plan_pending(integer) IS
    'plan_pending(p_limit): the visible plan items of every pending work order (at most p_limit, NULL: all), '
    'set-based and read-only: a fleet-wide what-if of a rule change inside a rolled-back transaction. TSV01: negative limit';
