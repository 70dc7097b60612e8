-- task_sync_internal._task_update_ok(p_id bigint, p_work_order_id bigint, p_origin text,
--     p_work_order_process_id bigint, p_task_type text, p_source_kind text, p_source_id bigint)
--   -> boolean
-- The check of the row-level security policy task__update, on each new row version of an UPDATE
-- (MERGE, ON CONFLICT DO UPDATE and writable CTEs included) by a role the policy applies to (every
-- role but the table's owner and superusers). PostgreSQL runs it before the row version or any
-- index entry of it is written, so an UPDATE that would take an id or a generation key a sync is
-- about to insert is refused before it can hold it, however long its statement runs on:
--   * the id must be one a task visible to the statement already has (an id kept, or another
--     row's, which the unique key then refuses at once): the sequence never gives a sync an id
--     that was ever given, so no id a sync draws can be reached;
--   * a generated row must be that visible task, generated, with its generation key unchanged
--     (turning a manual task generated, or moving a generated task's key, could take the key a
--     sync adds).
-- Everything else about an UPDATE (the engine's other columns) is checked at the end of the
-- statement by task__guard_update (tg_any__guard_columns), which judges old and new rows together.
-- Not a BEFORE UPDATE trigger on purpose: any such trigger makes PostgreSQL lock each row before
-- the update in the strength the SET list implies (see tg_any__guard_columns). The engine's own
-- writes run as the owner, whom row-level security passes over. VOLATILE on purpose: it reads the
-- row as last committed (at READ COMMITTED a fresh snapshot), as the UPDATE does after waiting for
-- a concurrent change of it (a route row deleted meanwhile set a draft's process to NULL: the new
-- version the UPDATE writes has NULL, which the statement's own snapshot would call a key moved).
-- Locks:   none.
-- Raises:  TSP01 naming the column (id, origin or a part of the generation key).
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._task_update_ok(
    p_id bigint, p_work_order_id bigint, p_origin text, p_work_order_process_id bigint, p_task_type text,
    p_source_kind text, p_source_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_was       task_sync.task;
    v_column    text;
BEGIN
    IF p_id <= 0 THEN
        RETURN true;    -- the task__id_check constraint's to refuse
    END IF;
    SELECT * INTO v_was FROM task_sync.task t WHERE t.id = p_id;
    IF NOT FOUND THEN
        v_column := 'id';
    ELSIF p_origin IS DISTINCT FROM 'generated' THEN
        RETURN true;
    ELSE
        v_column := CASE
            WHEN v_was.origin IS DISTINCT FROM p_origin THEN 'origin'
            WHEN v_was.work_order_id IS DISTINCT FROM p_work_order_id THEN 'work_order_id'
            WHEN v_was.work_order_process_id IS DISTINCT FROM p_work_order_process_id THEN 'work_order_process_id'
            WHEN v_was.task_type IS DISTINCT FROM p_task_type THEN 'task_type'
            WHEN v_was.source_kind IS DISTINCT FROM p_source_kind THEN 'source_kind'
            WHEN v_was.source_id IS DISTINCT FROM p_source_id THEN 'source_id'
        END;
        IF v_column IS NULL THEN
            RETURN true;
        END IF;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'TSP01',
        MESSAGE = format('TSP01: column %s of task_sync.%s is the engine''s: an UPDATE may give it only its current value',
                         v_column, 'task'),
        DETAIL = format('These columns of task_sync.%s keep their values: %s.', 'task',
                        'id, work_order_id, work_order_process_id, origin, task_type, source_kind, source_id, '
                        -- for each synced field:
                        --   'generated_{name}, '
                        'generated_work_content, '
                        'generated_production_quantity, '
                        -- end
                        'created_at'),
        HINT = 'Write the row''s current value, or leave the column out of the UPDATE.';
END
$$;

COMMENT ON FUNCTION task_sync_internal._task_update_ok(bigint, bigint, text, bigint, text, text, bigint) IS
    'Row-level security check of an updated task: its id and a generated task''s key kept (TSP01), before any index entry';
