-- task_sync_internal._apply(p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
--                  p_restore_dismissed boolean, p_via text, p_marks bigint[], p_plan_hash text DEFAULT NULL)
--   -> setof (work_order_id, sync_run_id, plan_hash, added, removed, updated, conflicts, synced_version)
-- Applies a plan computed by _plan_rows for these work orders (with the same flags), all in one
-- statement: deletes the drafts to remove, inserts the drafts to add (restored ones included), writes
-- updated fields and moves baselines, forgets dismissals whose key is no longer desired (or that
-- were restored), takes in the marks p_marks (the ones the caller read before it computed the
-- plan: deleted, and synced_version raised by their weight, so a mark committed after the plan
-- was read stays and the work order stays pending), and writes one sync_run per work order where
-- anything changed. p_plan_hash, given for a single work order, is the hash of p_rows its caller
-- already computed (execute checks it); otherwise each work order's hash is computed here.
-- Writes touch drafts of origin generated only, and each write re-checks the row as it is now,
-- so a planner's edit that lands while the sync runs is kept (three-way against the current row)
-- and a task that became formal is left alone.
-- The caller holds the work order rows locked (FOR NO KEY UPDATE) and their route rows
-- (FOR KEY SHARE), in that order of waiting: route rows first (see execute).
-- Deletes and inserts made here are the engine's, not people's: while they run, this
-- transaction's row in task_sync.applying (which no reader or writer may write) tells the task
-- triggers so. Owner only: no reader or writer may execute it (it trusts the plan it is given).
-- The audit's run_by is the caller of execute or sync_pending (_caller).
-- Locks:   the task rows it writes (row locks taken by UPDATE and DELETE).
-- Raises:  nothing of its own.
-- Writes:  applying, task, task_dismissal, work_order_mark, work_order (synced_version), sync_run,
--          sync_item (one row per applied change, written by the same statement), sync_failure.

CREATE FUNCTION task_sync_internal._apply(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
    p_restore_dismissed boolean, p_via text, p_marks bigint[], p_plan_hash text DEFAULT NULL)
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
    INSERT INTO task_sync.applying (xact) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT * FROM unnest(p_rows)
    ),
    wo AS MATERIALIZED (
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
        -- a generated task with this key that appeared since the plan was read satisfies it
        ON CONFLICT (work_order_id, work_order_process_id, task_type, source_kind, source_id)
            WHERE origin = 'generated' DO NOTHING
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
        -- side effect only, like versions and items below (nothing reads them: PostgreSQL runs every
        -- data-modifying WITH statement to completion, read or not).
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
    ),
    applied AS (
        -- the itemised changes, as the audit records them (sync_item): the values before and after
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
        WHERE upd.action <> 'keep'
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
        FROM applied a
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
        -- side effect only: the marks taken in raise synced_version
        UPDATE task_sync.work_order w
        SET synced_version = p.to_version
        FROM per_wo p
        WHERE w.id = ANY (p_work_order_ids) AND w.id = p.id AND p.to_version <> p.from_version
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
        -- side effect only: the audit's items
        INSERT INTO task_sync.sync_item (
            sync_run_id, work_order_id, task_id, action, work_order_process_id, process_code, task_type,
            source_kind, source_id, work_content, production_quantity, previous_work_content,
            previous_production_quantity, restored, overwritten)
        SELECT runs.id, a.work_order_id, a.task_id, a.action, a.work_order_process_id, a.process_code, a.task_type,
               a.source_kind, a.source_id, a.work_content, a.production_quantity, a.previous_work_content,
               a.previous_production_quantity, a.restored, a.overwritten
        FROM applied a
        JOIN runs ON runs.work_order_id = a.work_order_id
    )
    SELECT p.id, runs.id, p.plan_hash, p.n_add, p.n_remove, p.n_update, p.n_conflict, p.to_version
    FROM per_wo p
    LEFT JOIN runs ON runs.work_order_id = p.id
    ORDER BY p.id;
    DELETE FROM task_sync.applying a WHERE a.xact = pg_current_xact_id();
END
$$;

COMMENT ON FUNCTION task_sync_internal._apply(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text) IS
    'Applies a computed plan to these work orders in one statement and writes their sync_run rows';
