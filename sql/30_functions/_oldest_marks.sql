-- task_sync_internal._oldest_marks(p_limit integer) -> setof (work_order_id bigint, marked_at timestamptz)
-- The p_limit oldest marks (NULL: all of them), in the order the work orders wait: by
-- (marked_at, work_order_id). What _waiting and _candidates read first.
-- Read by their index on (marked_at, work_order_id), whatever the planner thinks of the table: a
-- table of marks is as large as the most marks it ever held (an initial load marks every work
-- order; a rule change, every work order it reaches), and VACUUM shortens it only where its end is
-- empty, while its indexes keep their size. With a few hundred marks left, the planner priced a read
-- of the bloated index above a sequential scan of the table and a sort, and so read every page the
-- table ever had (626 pages at ten million tasks, for 370 marks) on each call of pending() and
-- plan_pending. With sequential scans off (here, and in pending), the index is read, and only
-- the leaves that hold marks.
-- Not inlined (it has SET clauses): a query of its own, which returns at most p_limit rows.
-- The planner settings and why: docs/scaling.md, "The planner settings of the engine's calls".
-- Locks:   none (plain reads).
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._oldest_marks(p_limit integer)
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
