-- task_sync_internal.tg_any__guard_columns() -> trigger
-- Statement-level AFTER INSERT / UPDATE trigger of every table writers write (work_order,
-- work_order_process, task and the links and lines of every source kind), with transition tables
-- new_rows / old_rows. It guards the engine's columns by value, not by the columns a statement
-- names, so that ORMs that write whole rows work (Django's save() names every column; an INSERT may
-- name a column with its default):
--   INSERT  TG_ARGV[0] is a jsonb object of the values engine-owned columns must hold in a new row,
--           their defaults (e.g. {"synced_version": 0}); any other value is refused;
--   UPDATE  TG_ARGV lists the columns that keep their value (ids, the work order a row belongs to,
--           versions, baselines, a task's origin and generation key, created_at); every other
--           column is the writer's. Rows are compared whole (the kept columns of old_rows against
--           those of new_rows, as multisets: the ids they include tell the rows apart).
-- Statement-level and AFTER on purpose: one call per statement (the engine's own writes of
-- thousands of drafts cost one), and no row lock of its own. A BEFORE ROW UPDATE trigger would make
-- PostgreSQL lock every updated row before the update, in the strength the SET list implies (FOR
-- UPDATE for Django's save(), which names the keys), where the update itself takes FOR NO KEY
-- UPDATE when no key value changes; that stronger lock conflicts with the KEY SHARE locks of
-- foreign key checks and syncs, and made edits deadlock with execute. A refusal raises TSP01 naming
-- the table and the column, and the statement changes nothing. (A change that also breaks a key or
-- a foreign key, such as giving a route row that has tasks another id, is refused by that
-- constraint first, which is checked row by row.) Roles that hold the table owner's rights (the
-- schema owner, and so the engine's SECURITY DEFINER functions, and superusers) are not checked: the
-- books are theirs to write. SECURITY INVOKER on purpose: current_user is who wrote.
-- Locks:   none.
-- Raises:  TSP01 an engine-owned column was given another value; TSV01 a value too large for the
--          comparison (a string of more than 268435455 bytes, jsonb's limit).
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal.tg_any__guard_columns()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_writable  text[];
    v_column    text;
    v_given     jsonb;
    v_kept      jsonb;
BEGIN
    -- the rows are compared as jsonb, whose strings hold at most 268435455 bytes (256 MB): a larger
    -- value of a guarded table is refused with the limit named, not jsonb's own error
    BEGIN
        IF pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE') THEN
            RETURN NULL;
        END IF;
        IF TG_OP = 'INSERT' THEN
            SELECT r.key, to_jsonb(n) -> r.key, r.value
            INTO v_column, v_given, v_kept
            FROM new_rows n
            CROSS JOIN LATERAL jsonb_each(TG_ARGV[0]::jsonb) AS r
            WHERE to_jsonb(n) -> r.key IS DISTINCT FROM r.value
            LIMIT 1;
            IF v_column IS NOT NULL THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'TSP01',
                    MESSAGE = format('TSP01: column %s of task_sync.%s is the engine''s: a new row takes its default (%s), not %s',
                                     v_column, TG_TABLE_NAME, v_kept, v_given),
                    DETAIL = 'Only pytask_sync writes the engine''s books (versions, baselines, a generated task''s identity).',
                    HINT = format('Leave %s out of the INSERT, or give it DEFAULT.', v_column);
            END IF;
            RETURN NULL;
        END IF;

        -- UPDATE: every column but the kept ones is the writer's
        v_writable := ARRAY(
            SELECT a.attname::text FROM pg_attribute a
            WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> ALL (TG_ARGV));
        IF NOT EXISTS (
            SELECT to_jsonb(o) - v_writable FROM old_rows o
            EXCEPT ALL
            SELECT to_jsonb(n) - v_writable FROM new_rows n) THEN
            RETURN NULL;
        END IF;
        -- a task whose route row this statement deleted lost its process to the foreign key's ON DELETE
        -- SET NULL, not to the writer (before PostgreSQL 17 that action's triggers fire with the
        -- writer as current_user): its process is not compared. (Read through jsonb: this function
        -- serves tables without that column too.)
        IF TG_TABLE_NAME = 'task' THEN
            IF NOT EXISTS (
                   SELECT to_jsonb(o) - v_writable - 'work_order_process_id' FROM old_rows o
                   EXCEPT ALL
                   SELECT to_jsonb(n) - v_writable - 'work_order_process_id' FROM new_rows n)
               AND NOT EXISTS (
                   SELECT FROM old_rows o
                   JOIN new_rows n ON to_jsonb(n) -> 'id' = to_jsonb(o) -> 'id'
                   WHERE to_jsonb(o) -> 'work_order_process_id' IS DISTINCT FROM to_jsonb(n) -> 'work_order_process_id'
                     AND (to_jsonb(n) -> 'work_order_process_id' <> 'null'::jsonb
                          OR EXISTS (SELECT FROM task_sync.work_order_process p
                                     WHERE p.work_order_id = (to_jsonb(o) ->> 'work_order_id')::bigint
                                       AND p.id = (to_jsonb(o) ->> 'work_order_process_id')::bigint))) THEN
                RETURN NULL;
            END IF;
        END IF;
        -- which column: one whose values changed as a whole, else (values swapped between rows) the
        -- first that differs in a row matched by its id
        SELECT k INTO v_column
        FROM unnest(TG_ARGV) AS k
        WHERE EXISTS (SELECT to_jsonb(o) -> k FROM old_rows o EXCEPT ALL SELECT to_jsonb(n) -> k FROM new_rows n)
        LIMIT 1;
        IF v_column IS NULL THEN
            SELECT k INTO v_column
            FROM old_rows o
            JOIN new_rows n ON to_jsonb(n) -> 'id' = to_jsonb(o) -> 'id'
            CROSS JOIN LATERAL unnest(TG_ARGV) AS k
            WHERE to_jsonb(o) -> k IS DISTINCT FROM to_jsonb(n) -> k
            LIMIT 1;
        END IF;
        RAISE EXCEPTION USING
            ERRCODE = 'TSP01',
            MESSAGE = format('TSP01: column %s of task_sync.%s is the engine''s: an UPDATE may give it only its current value',
                             coalesce(v_column, array_to_string(TG_ARGV, ', ')), TG_TABLE_NAME),
            DETAIL = format('These columns of task_sync.%s keep their values: %s.', TG_TABLE_NAME, array_to_string(TG_ARGV, ', ')),
            HINT = 'Write the row''s current value, or leave the column out of the UPDATE.';
    EXCEPTION WHEN program_limit_exceeded THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: a value written to task_sync.%s is too large: the engine''s column guard compares rows '
                             'as jsonb, whose strings hold at most 268435455 bytes (256 MB)', TG_TABLE_NAME),
            DETAIL = SQLERRM,
            HINT = 'Keep each text value of the engine''s tables under 256 MB.';
    END;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_any__guard_columns() IS
    'Refuses a writer''s value for an engine-owned column (TSP01): defaults on INSERT, current values on UPDATE';
