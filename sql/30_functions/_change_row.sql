-- task_sync_internal._change_row(work_order_id, task_id, action, ... overwritten) -> task_sync_internal.change
-- One change a sync applied, built by name: its parameters are the columns of
-- task_sync_internal.change, in order and with the same names, and all but the first three have
-- the value of a change that does not set them (NULL; false for the flags). _write_tasks calls it
-- in named notation in each of its three branches (remove, add, update), so a column added to the
-- type is set where it is named and NULL elsewhere, never shifted into its neighbour's place. A
-- standard SQL body, inlined: the planner sees the row's expressions.
-- (tests/sql/test_by_name.py checks that the parameters are change's columns.)
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._change_row(
    work_order_id bigint,
    task_id bigint,
    action text,
    work_order_process_id bigint DEFAULT NULL,
    process_code text DEFAULT NULL,
    task_type text DEFAULT NULL,
    source_kind text DEFAULT NULL,
    source_id bigint DEFAULT NULL,
    -- for each synced field:
    --   {name} {sql} DEFAULT NULL,
    work_content text DEFAULT NULL,
    production_quantity integer DEFAULT NULL,
    -- end
    -- for each synced field:
    --   previous_{name} {sql} DEFAULT NULL,
    previous_work_content text DEFAULT NULL,
    previous_production_quantity integer DEFAULT NULL,
    -- end
    restored boolean DEFAULT false,
    overwritten boolean DEFAULT false)
RETURNS task_sync_internal.change
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ROW(work_order_id, task_id, action, work_order_process_id, process_code, task_type, source_kind, source_id,
           -- for each synced field:
           --   {name},
           work_content,
           production_quantity,
           -- end
           -- for each synced field:
           --   previous_{name},
           previous_work_content,
           previous_production_quantity,
           -- end
           restored, overwritten)::task_sync_internal.change;

COMMENT ON FUNCTION task_sync_internal._change_row(bigint, bigint, text, bigint, text, text, text, bigint,
                                                   -- for each synced field:
                                                   --   {sql},
                                                   text,
                                                   integer,
                                                   -- end
                                                   -- for each synced field:
                                                   --   {sql},
                                                   text,
                                                   integer,
                                                   -- end
                                                   boolean, boolean) IS
    'One change a sync applied, built by name (named notation; unset columns take a change''s defaults)';
