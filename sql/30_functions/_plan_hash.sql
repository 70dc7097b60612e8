-- task_sync_internal._plan_hashes(p_rows task_sync.plan_row[]) -> setof (work_order_id bigint, plan_hash text)
-- task_sync_internal._plan_hash(p_rows task_sync.plan_row[]) -> text
-- The plan hash of each work order in p_rows: sha256 (hex) of its visible items in canonical
-- order (_items), each as the text of its plan_row (the record's text form, which quotes and
-- escapes every field, so distinct items never read alike), one per line. Every value of every
-- item is covered, so the hash changes exactly when what a sync would do changes; an edit that
-- leaves the plan as it was leaves the hash as it was. An empty plan has the hash of the empty
-- string. _plan_hash hashes all the rows it is given (one work order's plan, as preview and
-- execute use it); _plan_hashes hashes each work order of a batch, in one grouped query (the
-- canonical order starts with the work order, so each one's items keep their order): the same
-- expression, grouped, and a test checks that the two agree. Computed once per sync: execute
-- hands the hash it checked to _apply.
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._plan_hashes(p_rows task_sync.plan_row[])
RETURNS TABLE (work_order_id bigint, plan_hash text)
LANGUAGE sql IMMUTABLE
-- standard SQL body, no SET clause: inlined into the calling query, _items with it (see _items)
BEGIN ATOMIC
    SELECT (i.r).work_order_id,
           encode(sha256(convert_to(string_agg(i.r::text, E'\n' ORDER BY i.ord), 'UTF8')), 'hex')
    FROM task_sync_internal._items(p_rows) AS i
    GROUP BY (i.r).work_order_id;
END;

COMMENT ON FUNCTION task_sync_internal._plan_hashes(task_sync.plan_row[]) IS
    'sha256 of each work order''s visible plan items in canonical order, for a batch';

CREATE FUNCTION task_sync_internal._plan_hash(p_rows task_sync.plan_row[])
RETURNS text
LANGUAGE sql IMMUTABLE
-- standard SQL body (bound when created); _items is inlined into it
BEGIN ATOMIC
    SELECT encode(sha256(convert_to(coalesce(string_agg(i.r::text, E'\n' ORDER BY i.ord), ''), 'UTF8')), 'hex')
    FROM task_sync_internal._items(p_rows) AS i;
END;

COMMENT ON FUNCTION task_sync_internal._plan_hash(task_sync.plan_row[]) IS
    'sha256 of the visible plan items in canonical order';
