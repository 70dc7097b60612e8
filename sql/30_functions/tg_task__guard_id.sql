-- task_sync_internal.tg_task__guard_id() -> trigger
-- BEFORE INSERT row-level trigger of task, for rows that are not generated (WHEN origin is not
-- 'generated'; the engine's own inserts are generated and skip it). A task's id is drawn from the
-- table's identity sequence, by people's inserts and the engine's alike: an id chosen by hand
-- could be one the sequence hands the engine next, and the engine's insert would then wait for
-- that transaction and fail on the key. So a new task's positive id must be the one this session
-- just drew from the sequence (what leaving id out, or DEFAULT, gives); an id it drew before and
-- reuses cannot collide with the engine's either. Zero and negative ids are left to the
-- task__id_check constraint (23514), and roles with the table owner's rights (the schema owner,
-- a restore of a dump, superusers) may give any id. It is row-level and BEFORE so that no index
-- entry is ever made for a refused id.
-- SECURITY DEFINER (owner's rights, search_path pinned): currval needs a right on the sequence
-- that no reader or writer holds; it reads only the new row and the session's own sequence state,
-- and judges the role the session acts as (_caller), not the owner it runs as.
-- Locks:   none.
-- Raises:  TSP01 a positive id that is not the one the sequence gave this session.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal.tg_task__guard_id()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_drawn bigint;
BEGIN
    IF NEW.id <= 0
       OR pg_has_role(task_sync_internal._caller()::name, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE') THEN
        RETURN NEW;
    END IF;
    BEGIN
        v_drawn := currval('task_sync.task_id_seq'::regclass);
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        v_drawn := NULL;    -- this session never drew a task id
    END;
    IF NEW.id IS DISTINCT FROM v_drawn THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSP01',
            MESSAGE = format('TSP01: column id of task_sync.task is the engine''s: a new task takes its id from the sequence, not %s',
                             NEW.id),
            DETAIL = 'An id chosen by hand could be the next one the sequence gives a sync, which would then fail.',
            HINT = 'Leave id out of the INSERT (or give it DEFAULT); RETURNING id tells the id it got.';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_task__guard_id() IS
    'Refuses a hand-chosen id for a new task (TSP01): ids come from the sequence, so they never collide with a sync''s';
