-- task_sync_internal._write_tasks(p_work_order_ids bigint[], p_rows task_sync.plan_row[],
--                                 p_overwrite_edits boolean) -> setof task_sync_internal.change
-- The first part of _apply: the task writes of a plan computed by _plan_rows for these work orders,
-- in one statement, and the changes they made, as the audit records them. Deletes the drafts to
-- remove, inserts the drafts to add (restored ones included), writes updated fields and moves
-- baselines (three ways, on the row as it is at the write: _field_write), and forgets dismissals
-- whose key is no longer desired or that were restored. Writes touch drafts of origin generated
-- only, and each re-checks the row as it is now, so a planner's edit that lands while the sync runs
-- is kept and a task that became formal is left alone. A change is labelled as the plan labels it
-- (a draft with a conflict in one field and an update in the other is a conflict; with
-- p_overwrite_edits an update), so that execute's counts are its preview's summary; its values
-- before and after say what was written.
-- Run by _apply only, inside its marker (task_sync.applying), so the task triggers know these
-- writes are the engine's.
-- Locks:   the task rows it writes.
-- Raises:  nothing of its own.
-- Writes:  task, task_dismissal.

CREATE FUNCTION task_sync_internal._write_tasks(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean)
RETURNS SETOF task_sync_internal.change
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT * FROM unnest(p_rows)
    ),
    del AS (
        DELETE FROM task_sync.task t
        USING r
        WHERE r.action = 'remove'
          AND t.work_order_id = ANY (p_work_order_ids)
          AND t.work_order_id = r.work_order_id AND t.id = r.task_id
          AND t.status = 'draft' AND t.origin = 'generated'
        RETURNING r.*
    ),
    ins AS (
        INSERT INTO task_sync.task AS t (
            work_order_id, work_order_process_id, status, origin, task_type, source_kind, source_id,
            -- for each synced field, joined by ",":
            --   {name}, generated_{name}
            work_content, generated_work_content,
            production_quantity, generated_production_quantity
            -- end
            )
        SELECT r.work_order_id, r.work_order_process_id, 'draft', 'generated', r.task_type, r.source_kind,
               r.source_id,
               -- for each synced field, joined by ",":
               --   r.desired_{name}, r.desired_{name}
               r.desired_work_content, r.desired_work_content,
               r.desired_production_quantity, r.desired_production_quantity
               -- end
        FROM r
        WHERE r.action = 'add'
        -- a plain insert (ON CONFLICT's speculative insertion cost 7 % of an initial batch): no
        -- generated task with this key can appear after the plan was read, since only the engine
        -- adds them (tg_any__guard_columns keeps writers to origin manual), under the work
        -- order's row lock, and at READ COMMITTED the plan is read after the lock is taken; a
        -- sync at REPEATABLE READ or SERIALIZABLE whose snapshot predates another's is refused
        -- at the lock (40001), because a sync that changes anything writes the work order row
        -- (_write_books)
        RETURNING t.id, t.work_order_id, t.work_order_process_id, t.task_type, t.source_kind, t.source_id
    ),
    upd AS (
        UPDATE task_sync.task t SET
            -- three ways, on the row as it is now (_field_write): a field still at its baseline takes
            -- the rule value; an edited field keeps the planner's value unless told to overwrite a conflict
            -- for each synced field, joined by ",":
            --   {name} = task_sync_internal._field_write(
            --       t.{name}, t.generated_{name}, r.desired_{name}, p_overwrite_edits),
            --   generated_{name} = r.desired_{name}
            work_content = task_sync_internal._field_write(
                t.work_content, t.generated_work_content, r.desired_work_content, p_overwrite_edits),
            generated_work_content = r.desired_work_content,
            production_quantity = task_sync_internal._field_write(
                t.production_quantity, t.generated_production_quantity, r.desired_production_quantity, p_overwrite_edits),
            generated_production_quantity = r.desired_production_quantity
            -- end
        FROM r
        WHERE (r.action IN ('update', 'conflict')
               -- a kept draft is written only when its baseline moves (the engine alone writes
               -- baselines, under the work order's lock, so the plan's baseline is the row's)
               OR (r.action = 'keep'
                   AND (
                       -- for each synced field, joined by "OR":
                       --   r.baseline_{name} IS DISTINCT FROM r.desired_{name}
                       r.baseline_work_content IS DISTINCT FROM r.desired_work_content
                       OR r.baseline_production_quantity IS DISTINCT FROM r.desired_production_quantity
                       -- end
                       )))
          AND t.work_order_id = ANY (p_work_order_ids)
          AND t.work_order_id = r.work_order_id AND t.id = r.task_id
          AND t.status = 'draft' AND t.origin = 'generated'
          AND (
               -- for each synced field, joined by "OR":
               --   t.generated_{name} IS DISTINCT FROM r.desired_{name}
               t.generated_work_content IS DISTINCT FROM r.desired_work_content
               OR t.generated_production_quantity IS DISTINCT FROM r.desired_production_quantity
               -- end
               )
        RETURNING r.*,
                  -- for each synced field, joined by ",":
                  --   t.{name} AS new_{name}
                  t.work_content AS new_work_content,
                  t.production_quantity AS new_production_quantity
                  -- end
    ),
    forgotten AS (
        -- side effect only (nothing reads it: PostgreSQL runs every data-modifying WITH statement to
        -- completion, read or not).
        -- Forget dismissals whose key the plan does not desire, and the ones restored; a key the
        -- plan desires keeps its dismissal even when the plan saw its draft (as keep, update or
        -- conflict): a planner may have deleted that draft after the plan was read
        DELETE FROM task_sync.task_dismissal x
        WHERE x.work_order_id = ANY (p_work_order_ids)
          AND NOT EXISTS (
              SELECT FROM r
              WHERE r.action IN ('add', 'dismissed', 'update', 'conflict', 'keep')
                AND NOT r.restored
                AND r.work_order_id = x.work_order_id AND r.work_order_process_id = x.work_order_process_id
                AND r.task_type = x.task_type AND r.source_kind = x.source_kind AND r.source_id = x.source_id)
    )
    -- the changes, as the audit records them: the values before and after, each built by name
    -- (_change_row), so a column of task_sync_internal.change is set where a branch names it
    SELECT (task_sync_internal._change_row(
               work_order_id => del.work_order_id, task_id => del.task_id, action => 'remove',
               work_order_process_id => del.work_order_process_id, process_code => del.process_code,
               task_type => del.task_type, source_kind => del.source_kind, source_id => del.source_id,
               -- for each synced field, joined by ",":
               --   previous_{name} => del.current_{name}
               previous_work_content => del.current_work_content,
               previous_production_quantity => del.current_production_quantity
               -- end
               )).*
    FROM del
    UNION ALL
    SELECT (task_sync_internal._change_row(
               work_order_id => ins.work_order_id, task_id => ins.id, action => 'add',
               work_order_process_id => r.work_order_process_id, process_code => r.process_code,
               task_type => r.task_type, source_kind => r.source_kind, source_id => r.source_id,
               -- for each synced field:
               --   {name} => r.desired_{name},
               work_content => r.desired_work_content,
               production_quantity => r.desired_production_quantity,
               -- end
               restored => r.restored)).*
    FROM ins
    JOIN r ON r.work_order_id = ins.work_order_id AND r.work_order_process_id = ins.work_order_process_id
          AND r.task_type = ins.task_type AND r.source_kind = ins.source_kind AND r.source_id = ins.source_id
          AND r.action = 'add'
    UNION ALL
    -- labelled as the plan labels it (a draft with a conflict in one field and an update in the
    -- other is a conflict; with p_overwrite_edits it is an update), so that execute's counts
    -- are its preview's summary; the values before and after say what was written
    SELECT (task_sync_internal._change_row(
               work_order_id => upd.work_order_id, task_id => upd.task_id, action => upd.action,
               work_order_process_id => upd.work_order_process_id, process_code => upd.process_code,
               task_type => upd.task_type, source_kind => upd.source_kind, source_id => upd.source_id,
               -- for each synced field:
               --   {name} => upd.new_{name}, previous_{name} => upd.current_{name},
               work_content => upd.new_work_content, previous_work_content => upd.current_work_content,
               production_quantity => upd.new_production_quantity, previous_production_quantity => upd.current_production_quantity,
               -- end
               overwritten => upd.overwritten)).*
    FROM upd
    WHERE upd.action <> 'keep';
END
$$;

COMMENT ON FUNCTION task_sync_internal._write_tasks(bigint[], task_sync.plan_row[], boolean) IS
    'The task writes of a computed plan, in one statement, and the changes they made (the first part of _apply)';
