-- task_sync_internal.tg_task__mark() -> trigger
-- Statement-level AFTER INSERT / UPDATE trigger of task (transition tables new_rows / old_rows).
-- Keeps "a work order that is not pending has nothing to do" true when people change tasks in
-- ways that change the plan:
--   * a generated task turned manual is taken over by people: like a delete, a dismissal of its
--     key (the sync does not add a generated twin beside it);
--   * a generated task inserted, a task turned generated, a formal generated task made a draft
--     again, or a change of a generated task's key or baselines marks its work order (old and new).
-- Edits of work_content, production_quantity, quantity_completed and draft to formal change
-- nothing a sync would do, and mark nothing. Writes of a sync itself (_applying(): only _apply
-- can make it true) are the engine's own. (Readers and writers cannot change a task's origin,
-- key or baselines, nor insert a generated task: those cases come from the owner.)
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books on behalf
-- of people's statements; a trigger function cannot be called directly, and it reads only the
-- statement's own transition tables.
-- Locks:   none of its own.
-- Raises:  nothing.
-- Writes:  task_dismissal (through _dismiss), work_order_mark (through _mark).

CREATE FUNCTION task_sync_internal.tg_task__mark()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF task_sync_internal._applying() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM task_sync_internal._mark(ARRAY(
            SELECT DISTINCT n.work_order_id FROM new_rows n WHERE n.origin = 'generated'));
        RETURN NULL;
    END IF;
    PERFORM task_sync_internal._dismiss(ARRAY(
        SELECT o::task_sync.task FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.origin = 'generated' AND n.origin = 'manual'));
    PERFORM task_sync_internal._mark(ARRAY(
        SELECT DISTINCT x.work_order_id
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.work_order_id), (n.work_order_id)) AS x(work_order_id)
        WHERE (o.origin = 'generated' OR n.origin = 'generated')
          AND NOT (o.origin = 'generated' AND n.origin = 'manual')
          AND ((o.origin, o.work_order_id, o.work_order_process_id, o.task_type, o.source_kind, o.source_id,
                -- for each synced field, joined by ",":
                --   o.generated_{name}
                o.generated_work_content,
                o.generated_production_quantity
                -- end
                )
               IS DISTINCT FROM
               (n.origin, n.work_order_id, n.work_order_process_id, n.task_type, n.source_kind, n.source_id,
                -- for each synced field, joined by ",":
                --   n.generated_{name}
                n.generated_work_content,
                n.generated_production_quantity
                -- end
                )
               OR (o.status <> 'draft' AND n.status = 'draft'))));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_task__mark() IS
    'Marks work orders whose generated tasks people changed in ways a sync cares about; a task turned manual is a dismissal';
