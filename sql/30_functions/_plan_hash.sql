-- task_sync._plan_hash(p_rows task_sync.plan_row[]) -> text
-- The plan hash: sha256 (hex) of the visible items in canonical order (_items), each as the text
-- of its plan_row (the record's text form, which quotes and escapes every field, so distinct
-- items never read alike), one per line. Every value of every item is covered, so the hash
-- changes exactly when what a sync would do changes; an edit that leaves the plan as it was
-- leaves the hash as it was. An empty plan has the hash of the empty string. Computed once per
-- sync: execute hands the hash it checked to _apply.
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync._plan_hash(p_rows task_sync.plan_row[])
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT encode(sha256(convert_to(coalesce(string_agg(i.r::text, E'\n' ORDER BY i.ord), ''), 'UTF8')), 'hex')
    FROM task_sync._items(p_rows) AS i
$$;

COMMENT ON FUNCTION task_sync._plan_hash(task_sync.plan_row[]) IS 'sha256 of the visible plan items in canonical order';
