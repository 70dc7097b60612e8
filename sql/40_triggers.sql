-- 40_triggers.sql: the triggers that mark work orders as needing a sync, remember dismissals
-- guard formal tasks and the engine's columns. Statement-level with transition tables, one trigger
-- per event (a trigger with transition tables can serve one event only), except two row-level
-- guards that must look before a row is written: the formal-task guard (a DELETE) and the task id
-- guard (an INSERT), neither of which changes how rows are locked.

-- Inputs of a work order: its route (the links and lines of each source kind get theirs from
-- _source_kind_dress).
CREATE TRIGGER work_order_process__mark_insert AFTER INSERT ON task_sync.work_order_process
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_work_order_input__mark();
CREATE TRIGGER work_order_process__mark_update AFTER UPDATE ON task_sync.work_order_process
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_work_order_input__mark();
CREATE TRIGGER work_order_process__mark_delete AFTER DELETE ON task_sync.work_order_process
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_work_order_input__mark();

-- The work order's own generating columns.
CREATE TRIGGER work_order__mark_update AFTER UPDATE ON task_sync.work_order
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_work_order__mark();

-- Catalog values that reach generated fields (the catalog of each source kind gets its trigger from
-- _source_kind_dress); the arguments name what points at the catalog: for process, the route.
CREATE TRIGGER process__mark_update AFTER UPDATE ON task_sync.process
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_catalog__mark('work_order_process', 'process_id');

-- The rules.
CREATE TRIGGER generation_rule__check_quantity BEFORE INSERT OR UPDATE OF source_kind, quantity_source
    ON task_sync.generation_rule
    FOR EACH ROW EXECUTE FUNCTION task_sync_internal.tg_generation_rule__check_quantity();
CREATE TRIGGER generation_rule__mark_insert AFTER INSERT ON task_sync.generation_rule
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_generation_rule__mark();
CREATE TRIGGER generation_rule__mark_update AFTER UPDATE ON task_sync.generation_rule
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_generation_rule__mark();
CREATE TRIGGER generation_rule__mark_delete AFTER DELETE ON task_sync.generation_rule
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_generation_rule__mark();

-- Dismissals: generated tasks deleted by people.
CREATE TRIGGER task__dismiss AFTER DELETE ON task_sync.task
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_task__dismiss();

-- Task changes by people that change a plan: generated tasks inserted, turned manual (a
-- dismissal), made drafts again, or given another key or baseline.
CREATE TRIGGER task__mark_insert AFTER INSERT ON task_sync.task
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_task__mark();
CREATE TRIGGER task__mark_update AFTER UPDATE ON task_sync.task
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_task__mark();

-- TRUNCATE has no transition tables: every work order is marked.
CREATE TRIGGER work_order_process__mark_truncate AFTER TRUNCATE ON task_sync.work_order_process
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__mark_truncate();
CREATE TRIGGER task__mark_truncate AFTER TRUNCATE ON task_sync.task
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__mark_truncate();
CREATE TRIGGER task_dismissal__mark_truncate AFTER TRUNCATE ON task_sync.task_dismissal
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__mark_truncate();
CREATE TRIGGER generation_rule__mark_truncate AFTER TRUNCATE ON task_sync.generation_rule
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__mark_truncate();

-- A deleted work order's marks and dismissals go with it.
CREATE TRIGGER work_order__forget_books AFTER DELETE ON task_sync.work_order
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_work_order__forget_books();

-- Dismissals of a deleted process are forgotten.
CREATE TRIGGER work_order_process__forget_dismissals AFTER DELETE ON task_sync.work_order_process
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_work_order_process__forget_dismissals();

-- A process that still has formal tasks cannot be deleted (TSC04).
CREATE TRIGGER work_order_process__guard_formal BEFORE DELETE ON task_sync.work_order_process
    FOR EACH ROW EXECUTE FUNCTION task_sync_internal.tg_work_order_process__guard_formal();

-- The engine's columns, protected by value (tg_any__guard_columns): a new row takes their defaults,
-- an UPDATE keeps their values; writers may name any column (ORMs write whole rows). Statement-level:
-- a row-level BEFORE UPDATE trigger would lock every updated row in the strength its SET list
-- implies (see there). The links and lines of each source kind get theirs from _source_kind_dress.
CREATE TRIGGER work_order__guard_insert AFTER INSERT ON task_sync.work_order
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns('{"synced_version": 0}');
CREATE TRIGGER work_order__guard_update AFTER UPDATE ON task_sync.work_order
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns('id', 'synced_version', 'created_at');
CREATE TRIGGER work_order_process__guard_update AFTER UPDATE ON task_sync.work_order_process
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns('id', 'work_order_id');
CREATE TRIGGER task__guard_insert AFTER INSERT ON task_sync.task
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns(
        '{"origin": "manual"'
        -- for each synced field:
        --   ', "generated_{name}": null'
        ', "generated_work_content": null'
        ', "generated_production_quantity": null'
        -- end
        '}');
CREATE TRIGGER task__guard_update AFTER UPDATE ON task_sync.task
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns(
        'id', 'work_order_id', 'work_order_process_id', 'origin', 'task_type', 'source_kind', 'source_id',
        -- for each synced field:
        --   'generated_{name}',
        'generated_work_content',
        'generated_production_quantity',
        -- end
        'created_at');

-- A new task's id is the sequence's (tg_task__guard_id); the engine's inserts are generated rows.
CREATE TRIGGER task__guard_id BEFORE INSERT ON task_sync.task
    FOR EACH ROW WHEN (NEW.origin IS DISTINCT FROM 'generated')
    EXECUTE FUNCTION task_sync_internal.tg_task__guard_id();
