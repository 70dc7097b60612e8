-- 0014_fields_by_name down: back to 0012_error_codes.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE OR REPLACE FUNCTION task_sync_internal._write_books(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
    p_restore_dismissed boolean, p_via text, p_marks bigint[], p_plan_hash text,
    p_changes task_sync_internal.change[])
RETURNS TABLE (
    work_order_id   bigint,
    sync_run_id     bigint,
    plan_hash       text,
    added           integer,
    removed         integer,
    updated         integer,
    conflicts       integer,
    synced_version  bigint
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH wo AS MATERIALIZED (
        -- the state before this statement's writes (one snapshot for the whole statement)
        SELECT w.id, w.synced_version
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
    ),
    taken AS (
        DELETE FROM task_sync.work_order_mark m
        WHERE m.work_order_id = ANY (p_work_order_ids) AND m.id = ANY (p_marks)
        RETURNING m.work_order_id, m.weight
    ),
    taken_per_wo AS (
        SELECT taken.work_order_id, sum(taken.weight) AS n FROM taken GROUP BY taken.work_order_id
    ),
    recovered AS (
        -- side effect only: a work order synced is no longer a failed one
        DELETE FROM task_sync.sync_failure f
        WHERE f.work_order_id = ANY (p_work_order_ids)
    ),
    hashes AS (
        SELECT h.work_order_id, h.plan_hash
        FROM task_sync_internal._plan_hashes(p_rows) AS h
        WHERE p_plan_hash IS NULL
    ),
    tallies AS (
        SELECT a.work_order_id,
               count(*) FILTER (WHERE a.action = 'add')::integer AS n_add,
               count(*) FILTER (WHERE a.action = 'remove')::integer AS n_remove,
               count(*) FILTER (WHERE a.action = 'update')::integer AS n_update,
               count(*) FILTER (WHERE a.action = 'conflict')::integer AS n_conflict
        FROM unnest(p_changes) a
        GROUP BY a.work_order_id
    ),
    per_wo AS (
        SELECT wo.id, wo.synced_version AS from_version,
               wo.synced_version + coalesce(tk.n, 0) AS to_version,
               coalesce(p_plan_hash, h.plan_hash, task_sync_internal._plan_hash('{}')) AS plan_hash,
               coalesce(t.n_add, 0) AS n_add, coalesce(t.n_remove, 0) AS n_remove,
               coalesce(t.n_update, 0) AS n_update, coalesce(t.n_conflict, 0) AS n_conflict
        FROM wo
        LEFT JOIN hashes h ON h.work_order_id = wo.id
        LEFT JOIN tallies t ON t.work_order_id = wo.id
        LEFT JOIN taken_per_wo tk ON tk.work_order_id = wo.id
    ),
    versions AS (
        -- side effect only: the marks taken in raise synced_version. A sync that changed anything
        -- writes the row even when no mark was taken (a new version, same values), so that a sync
        -- of it whose snapshot is older (REPEATABLE READ, SERIALIZABLE) fails at the row lock with
        -- 40001 instead of adding the same drafts again (_write_tasks)
        UPDATE task_sync.work_order w
        SET synced_version = p.to_version
        FROM per_wo p
        WHERE w.id = ANY (p_work_order_ids) AND w.id = p.id
          AND (p.to_version <> p.from_version OR p.n_add + p.n_remove + p.n_update + p.n_conflict > 0)
    ),
    runs AS (
        INSERT INTO task_sync.sync_run AS s (
            work_order_id, run_by, application_name, via, plan_hash, from_version, to_version,
            overwrite_edits, restore_dismissed, added, removed, updated, conflicts)
        SELECT p.id, task_sync_internal._caller(), current_setting('application_name'), p_via, p.plan_hash, p.from_version,
               p.to_version, p_overwrite_edits, p_restore_dismissed, p.n_add, p.n_remove, p.n_update, p.n_conflict
        FROM per_wo p
        WHERE p.from_version <> p.to_version OR p.n_add + p.n_remove + p.n_update + p.n_conflict > 0
        RETURNING s.id, s.work_order_id
    ),
    items AS (
        -- side effect only: the audit's items, each change under its work order's run
        INSERT INTO task_sync.sync_item
        SELECT runs.id, a.*
        FROM unnest(p_changes) a
        JOIN runs ON runs.work_order_id = a.work_order_id
    )
    SELECT p.id, runs.id, p.plan_hash, p.n_add, p.n_remove, p.n_update, p.n_conflict, p.to_version
    FROM per_wo p
    LEFT JOIN runs ON runs.work_order_id = p.id
    ORDER BY p.id;
END
$$;

COMMENT ON FUNCTION task_sync_internal._write_books(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text, task_sync_internal.change[]) IS
    'The books of a sync: marks taken in, versions, sync_run and sync_item rows (the second part of _apply)';

CREATE OR REPLACE FUNCTION task_sync_internal._write_tasks(
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
            work_content, production_quantity, generated_work_content, generated_production_quantity)
        SELECT r.work_order_id, r.work_order_process_id, 'draft', 'generated', r.task_type, r.source_kind,
               r.source_id, r.desired_work_content, r.desired_production_quantity,
               r.desired_work_content, r.desired_production_quantity
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
            work_content = task_sync_internal._field_write(
                t.work_content, t.generated_work_content, r.desired_work_content, p_overwrite_edits),
            production_quantity = task_sync_internal._field_write(
                t.production_quantity, t.generated_production_quantity, r.desired_production_quantity,
                p_overwrite_edits),
            generated_work_content = r.desired_work_content,
            generated_production_quantity = r.desired_production_quantity
        FROM r
        WHERE (r.action IN ('update', 'conflict')
               -- a kept draft is written only when its baseline moves (the engine alone writes
               -- baselines, under the work order's lock, so the plan's baseline is the row's)
               OR (r.action = 'keep'
                   AND (r.baseline_work_content IS DISTINCT FROM r.desired_work_content
                        OR r.baseline_production_quantity IS DISTINCT FROM r.desired_production_quantity)))
          AND t.work_order_id = ANY (p_work_order_ids)
          AND t.work_order_id = r.work_order_id AND t.id = r.task_id
          AND t.status = 'draft' AND t.origin = 'generated'
          AND (t.generated_work_content IS DISTINCT FROM r.desired_work_content
               OR t.generated_production_quantity IS DISTINCT FROM r.desired_production_quantity)
        RETURNING r.*, t.work_content AS new_work_content, t.production_quantity AS new_production_quantity
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
    -- the changes, as the audit records them: the values before and after
    SELECT del.work_order_id, del.task_id, 'remove' AS action, del.work_order_process_id, del.process_code,
           del.task_type, del.source_kind, del.source_id,
           NULL::text AS work_content, NULL::integer AS production_quantity,
           del.current_work_content AS previous_work_content,
           del.current_production_quantity AS previous_production_quantity,
           false AS restored, false AS overwritten
    FROM del
    UNION ALL
    SELECT ins.work_order_id, ins.id, 'add', r.work_order_process_id, r.process_code,
           r.task_type, r.source_kind, r.source_id,
           r.desired_work_content, r.desired_production_quantity, NULL, NULL, r.restored, false
    FROM ins
    JOIN r ON r.work_order_id = ins.work_order_id AND r.work_order_process_id = ins.work_order_process_id
          AND r.task_type = ins.task_type AND r.source_kind = ins.source_kind AND r.source_id = ins.source_id
          AND r.action = 'add'
    UNION ALL
    -- labelled as the plan labels it (a draft with a conflict in one field and an update in the
    -- other is a conflict; with p_overwrite_edits it is an update), so that execute's counts
    -- are its preview's summary; the values before and after say what was written
    SELECT upd.work_order_id, upd.task_id, upd.action,
           upd.work_order_process_id, upd.process_code, upd.task_type, upd.source_kind, upd.source_id,
           upd.new_work_content, upd.new_production_quantity,
           upd.current_work_content, upd.current_production_quantity, false, upd.overwritten
    FROM upd
    WHERE upd.action <> 'keep';
END
$$;

COMMENT ON FUNCTION task_sync_internal._write_tasks(bigint[], task_sync.plan_row[], boolean) IS
    'The task writes of a computed plan, in one statement, and the changes they made (the first part of _apply)';

DROP FUNCTION task_sync_internal._change_row(bigint, bigint, text, bigint, text, text, text, bigint, text, integer, text, integer, boolean, boolean);

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
