-- task_sync_internal._apply(p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
--                  p_restore_dismissed boolean, p_via text, p_marks bigint[], p_plan_hash text DEFAULT NULL)
--   -> setof (work_order_id, sync_run_id, plan_hash, added, removed, updated, conflicts, synced_version)
-- Applies a plan computed by _plan_rows for these work orders (with the same flags), in two
-- parts, each one statement: _write_tasks (drafts removed, added and updated, dismissals
-- forgotten), which returns the changes it made, then _write_books (the marks p_marks taken in,
-- synced_version raised by their weight, a recorded failure forgotten, one sync_run per work order
-- where anything changed, its changes as sync_item rows). p_plan_hash, given for a single work
-- order, is the hash of p_rows its caller already computed (execute checks it); otherwise each work
-- order's hash is computed here.
-- The caller holds the work order rows locked (FOR NO KEY UPDATE) and their route rows
-- (FOR KEY SHARE), in that order of waiting: route rows first (see execute).
-- The writes made here are the engine's, not people's: while they run, this transaction's row in
-- task_sync.applying (which no reader or writer may write) tells the task triggers so. Owner
-- only: no reader or writer may execute it (it trusts the plan it is given).
-- The audit's run_by is the caller of execute or sync_pending (_caller).
-- Locks:   the task rows it writes (row locks taken by UPDATE and DELETE).
-- Raises:  nothing of its own.
-- Writes:  applying, and through its parts task, task_dismissal, work_order_mark, work_order
--          (synced_version), sync_run, sync_item, sync_failure.

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
DECLARE
    v_changes   task_sync_internal.change[];
BEGIN
    -- the writes that follow are the engine's: the task triggers read this marker (a setting would
    -- not do, since any session may set one)
    INSERT INTO task_sync.applying (xact) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    -- 1. the tasks, and the changes made
    v_changes := ARRAY(SELECT c FROM task_sync_internal._write_tasks(p_work_order_ids, p_rows, p_overwrite_edits) AS c);
    -- 2. the books: marks taken in, versions, the audit
    RETURN QUERY
        SELECT b.*
        FROM task_sync_internal._write_books(p_work_order_ids, p_rows, p_overwrite_edits, p_restore_dismissed, p_via,
                                             p_marks, p_plan_hash, v_changes) AS b;
    DELETE FROM task_sync.applying a WHERE a.xact = pg_current_xact_id();
END
$$;

COMMENT ON FUNCTION task_sync_internal._apply(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text) IS
    'Applies a computed plan to these work orders: the task writes (_write_tasks), then the books (_write_books)';
