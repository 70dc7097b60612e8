-- task_sync.preview(p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false,
--                   p_restore_dismissed boolean DEFAULT false) -> jsonb
-- What execute with the same flags would do to this work order now, item by item, without
-- changing anything:
-- {work_order_id, order_number, plan_hash, definition_version, synced_version, sync_needed,
--  may_sync, overwrite_edits, restore_dismissed,
--  summary: {add, remove, update, conflict, dismissed, orphaned, keep}, items: [...]}.
-- Each item is a task_sync.plan_row as jsonb: action, task_id (null for add), the generation key,
-- process_code, and the current, baseline and desired values of work_content and
-- production_quantity, edited, update_fields, conflict_fields, restored, overwritten. With
-- p_restore_dismissed a dismissed draft is an add (restored: true); with p_overwrite_edits a
-- conflict is an update (overwritten: true, conflict_fields naming the planner's values it
-- overwrites). The summary's add, remove, update and conflict are the added, removed, updated
-- and conflicts execute with the same flags returns. Pass plan_hash to execute (with the same
-- flags) to apply exactly this plan.
-- Locks:   none (plain reads; safe on a standby).
-- Raises:  TSV01 invalid id or a NULL flag; TSN01 work order not found.
-- Writes:  nothing.

CREATE FUNCTION task_sync.preview(
    p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- the planner settings and why: docs/scaling.md, "The planner settings of the engine's calls"
SET enable_nestloop = off
SET jit = off
SET plan_cache_mode = force_generic_plan
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v_wo    task_sync.work_order := task_sync_internal._work_order(p_work_order_id);
    v_marks bigint;
    v_rows  task_sync.plan_row[];
BEGIN
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
    -- the changes the marks stand for, parked ones included (a closed work order's)
    v_marks := coalesce((SELECT sum(m.weight) FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id), 0)
             + coalesce((SELECT p.weight FROM task_sync.work_order_mark_parked p WHERE p.work_order_id = p_work_order_id), 0);
    v_rows := ARRAY(SELECT r FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r);
    RETURN jsonb_build_object(
        'work_order_id', v_wo.id,
        'order_number', v_wo.order_number,
        'plan_hash', task_sync_internal._plan_hash(v_rows),
        'definition_version', v_wo.synced_version + v_marks,
        'synced_version', v_wo.synced_version,
        'sync_needed', v_marks > 0,
        'may_sync', task_sync_internal._may_sync(v_wo.status, v_wo.approval_status),
        'overwrite_edits', p_overwrite_edits,
        'restore_dismissed', p_restore_dismissed,
        'summary', (
            SELECT jsonb_build_object(
                'add', count(*) FILTER (WHERE r.action = 'add'),
                'remove', count(*) FILTER (WHERE r.action = 'remove'),
                'update', count(*) FILTER (WHERE r.action = 'update'),
                'conflict', count(*) FILTER (WHERE r.action = 'conflict'),
                'dismissed', count(*) FILTER (WHERE r.action = 'dismissed'),
                'orphaned', count(*) FILTER (WHERE r.action = 'orphaned'),
                'keep', count(*) FILTER (WHERE r.action = 'keep'))
            FROM unnest(v_rows) AS r),
        'items', (SELECT coalesce(jsonb_agg(to_jsonb(i.r) ORDER BY i.ord), '[]') FROM task_sync_internal._items(v_rows) AS i));
END
$$;

COMMENT ON FUNCTION task_sync.preview(bigint, boolean, boolean) IS
    'preview(p_work_order_id, p_overwrite_edits false, p_restore_dismissed false) -> jsonb: what '
    'execute with the same flags would do to the work order, item by item, with its plan_hash; '
    'changes nothing. TSV01: invalid id or a NULL flag; TSN01: work order not found';
