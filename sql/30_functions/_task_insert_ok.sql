-- task_sync_internal._task_insert_ok(p_origin text) -> boolean
-- The check of the row-level security policy task__insert: a new task of a role the policy
-- applies to (every role but the table's owner and superusers: readers, writers, an application's
-- roles) is manual. A generated row is the engine's alone; refused here, by a check that
-- PostgreSQL runs on each row before the row or any index entry of it is written, no insert of a
-- generated row, however long the statement that makes it runs on (a writable CTE with a sleep, a
-- MERGE), can hold an id or a generation key a sync is about to insert. (The id of a manual row is
-- checked before, by the BEFORE INSERT trigger task__guard_id.) The engine's own inserts run as
-- the owner, whom row-level security passes over: they cost nothing here.
-- Locks:   none.
-- Raises:  TSP01 a new row that is not manual.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._task_insert_ok(p_origin text)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_origin IS DISTINCT FROM 'generated' THEN
        RETURN true;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'TSP01',
        MESSAGE = format('TSP01: column %s of task_sync.%s is the engine''s: a new row takes its default (%s), not %s',
                         'origin', 'task', to_jsonb('manual'::text), to_jsonb(p_origin)),
        DETAIL = 'Only pytask_sync writes the engine''s books (versions, baselines, a generated task''s identity).',
        HINT = format('Leave %s out of the INSERT, or give it DEFAULT.', 'origin');
END
$$;

COMMENT ON FUNCTION task_sync_internal._task_insert_ok(text) IS
    'Row-level security check of a new task: manual only (TSP01), before any index entry is written';
