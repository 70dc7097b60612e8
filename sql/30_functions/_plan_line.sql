-- task_sync_internal._plan_line(work_order_id, action, task_id, ... overwritten) -> task_sync.plan_row
-- A line of a plan, built by name: its parameters are the columns of task_sync.plan_row, in
-- order and with the same names, and all but the first two have the value of a line that does
-- not set them (NULL; false for the flags; '{}' for the field lists). _plan_rows calls it in named
-- notation (action => ..., task_id => ...), so each kind of line names what it sets and nothing
-- is placed by position. A standard SQL body, inlined: the planner sees the row's expressions.
-- (tests/sql/test_inlining.py checks that the parameters are plan_row's columns.)
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._plan_line(
    work_order_id bigint,
    action text,
    task_id bigint DEFAULT NULL,
    work_order_process_id bigint DEFAULT NULL,
    process_code text DEFAULT NULL,
    task_type text DEFAULT NULL,
    source_kind text DEFAULT NULL,
    source_id bigint DEFAULT NULL,
    -- for each synced field:
    --   current_{name} {sql} DEFAULT NULL,
    --   baseline_{name} {sql} DEFAULT NULL,
    --   desired_{name} {sql} DEFAULT NULL,
    current_work_content text DEFAULT NULL,
    baseline_work_content text DEFAULT NULL,
    desired_work_content text DEFAULT NULL,
    current_production_quantity integer DEFAULT NULL,
    baseline_production_quantity integer DEFAULT NULL,
    desired_production_quantity integer DEFAULT NULL,
    -- end
    edited boolean DEFAULT false,
    update_fields text[] DEFAULT '{}',
    conflict_fields text[] DEFAULT '{}',
    restored boolean DEFAULT false,
    overwritten boolean DEFAULT false)
RETURNS task_sync.plan_row
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ROW(work_order_id, action, task_id, work_order_process_id, process_code, task_type, source_kind, source_id,
           -- for each synced field:
           --   current_{name}, baseline_{name}, desired_{name},
           current_work_content, baseline_work_content, desired_work_content,
           current_production_quantity, baseline_production_quantity, desired_production_quantity,
           -- end
           edited, update_fields, conflict_fields, restored, overwritten)::task_sync.plan_row;

COMMENT ON FUNCTION task_sync_internal._plan_line(bigint, text, bigint, bigint, text, text, text, bigint,
                                                  -- for each synced field:
                                                  --   {sql}, {sql}, {sql},
                                                  text, text, text,
                                                  integer, integer, integer,
                                                  -- end
                                                  boolean, text[], text[], boolean, boolean) IS
    'A line of a plan built by name (named notation; unset columns take a line''s defaults)';
