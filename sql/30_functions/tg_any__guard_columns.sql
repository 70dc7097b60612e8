-- task_sync_internal.tg_any__guard_columns() -> trigger
-- Guards the engine's columns of every table writers write (work_order, work_order_process, task
-- and the links and lines of every source kind) by value, not by the columns a statement names,
-- so that ORMs that write whole rows work (Django's save() names every column; an INSERT may name
-- a column with its default):
--   INSERT  statement-level AFTER trigger (transition table new_rows); TG_ARGV[0] is a jsonb object
--           of the values engine-owned columns must hold in a new row, their defaults (e.g.
--           {"synced_version": 0}); any other value is refused. Statement-level, so that the
--           engine's own inserts of thousands of drafts cost one call;
--   UPDATE  row-level BEFORE trigger whose WHEN clause lets through only rows where one of the
--           kept columns changed; TG_ARGV lists those columns (ids, the work order a row belongs to,
--           versions, baselines, a task's origin and generation key, created_at), every other column
--           is the writer's. Row-level and BEFORE, so that the refusal comes before the keys and
--           foreign keys that a changed id or work order would trip; the WHEN clause keeps it off
--           every other row.
-- A refusal raises TSP01 naming the table and the column, and the statement changes nothing. Roles
-- that hold the table owner's rights (the schema owner, and so the engine's SECURITY DEFINER
-- functions, and superusers) are not checked: the books are theirs to write. SECURITY INVOKER on
-- purpose: current_user is who wrote.
-- Locks:   none.
-- Raises:  TSP01 an engine-owned column was given another value.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal.tg_any__guard_columns()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_column    text;
    v_given     jsonb;
    v_default   jsonb;
BEGIN
    IF pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT k INTO v_column
        FROM unnest(TG_ARGV) AS k
        WHERE to_jsonb(OLD) -> k IS DISTINCT FROM to_jsonb(NEW) -> k
        LIMIT 1;
        RAISE EXCEPTION USING
            ERRCODE = 'TSP01',
            MESSAGE = format('column %s of task_sync.%s is the engine''s: an UPDATE may give it only its current value (%s), not %s',
                             v_column, TG_TABLE_NAME, to_jsonb(OLD) -> v_column, to_jsonb(NEW) -> v_column),
            DETAIL = format('These columns of task_sync.%s keep their values: %s.', TG_TABLE_NAME, array_to_string(TG_ARGV, ', ')),
            HINT = format('Write the row''s current %s, or leave it out of the UPDATE.', v_column);
    END IF;
    SELECT r.key, to_jsonb(n) -> r.key, r.value
    INTO v_column, v_given, v_default
    FROM new_rows n
    CROSS JOIN LATERAL jsonb_each(TG_ARGV[0]::jsonb) AS r
    WHERE to_jsonb(n) -> r.key IS DISTINCT FROM r.value
    LIMIT 1;
    IF v_column IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSP01',
            MESSAGE = format('column %s of task_sync.%s is the engine''s: a new row takes its default (%s), not %s',
                             v_column, TG_TABLE_NAME, v_default, v_given),
            DETAIL = 'Only pytask_sync writes the engine''s books (versions, baselines, a generated task''s identity).',
            HINT = format('Leave %s out of the INSERT, or give it DEFAULT.', v_column);
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_any__guard_columns() IS
    'Refuses a writer''s value for an engine-owned column (TSP01): defaults on INSERT, current values on UPDATE';
