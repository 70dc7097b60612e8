-- task_sync_internal._write_books(p_work_order_ids bigint[], p_rows task_sync.plan_row[],
--                                 p_overwrite_edits boolean, p_restore_dismissed boolean, p_via text,
--                                 p_marks bigint[], p_plan_hash text, p_changes task_sync_internal.change[])
--   -> setof (work_order_id, sync_run_id, plan_hash, added, removed, updated, conflicts, synced_version)
-- The second part of _apply: the engine's books for these work orders, in one statement, after
-- _write_tasks made p_changes. Takes in the marks p_marks (deleted, and synced_version raised by
-- their weight, so a mark committed after the plan was read stays and the work order stays
-- pending; the row is written whenever anything changed), forgets a failure recorded by
-- sync_pending, and writes one sync_run per work order where anything changed (its plan hash:
-- p_plan_hash, given for one work order by execute, else each work order's hash of p_rows), with
-- its changes as sync_item rows. Returns one row per work order.
-- Locks:   the rows it writes (the work order rows are already held by the caller).
-- Raises:  nothing of its own.
-- Writes:  work_order_mark, sync_failure, work_order (synced_version), sync_run, sync_item.

CREATE FUNCTION task_sync_internal._write_books(
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
        -- side effect only: the audit's items, each change under its work order's run, column by
        -- name (task_sync_internal.change is sync_item without sync_run_id: tests/api/test_catalog.py)
        INSERT INTO task_sync.sync_item (
            sync_run_id, work_order_id, task_id, action, work_order_process_id, process_code, task_type,
            source_kind, source_id,
            -- for each synced field:
            --   {name}, previous_{name},
            work_content, previous_work_content,
            production_quantity, previous_production_quantity,
            -- end
            restored, overwritten)
        SELECT runs.id, a.work_order_id, a.task_id, a.action, a.work_order_process_id, a.process_code, a.task_type,
               a.source_kind, a.source_id,
               -- for each synced field:
               --   a.{name}, a.previous_{name},
               a.work_content, a.previous_work_content,
               a.production_quantity, a.previous_production_quantity,
               -- end
               a.restored, a.overwritten
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
