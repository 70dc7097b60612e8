-- 40_triggers.sql: the triggers that mark work orders as needing a sync, remember dismissals
-- and guard formal tasks. Statement-level with transition tables, one trigger per event (a
-- trigger with transition tables can serve one event only), except the row-level guard.

-- Inputs of a work order: its route, links and lines.
CREATE TRIGGER work_order_process__mark_insert AFTER INSERT ON task_sync.work_order_process
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_process__mark_update AFTER UPDATE ON task_sync.work_order_process
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_process__mark_delete AFTER DELETE ON task_sync.work_order_process
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_artwork__mark_insert AFTER INSERT ON task_sync.work_order_artwork
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_artwork__mark_update AFTER UPDATE ON task_sync.work_order_artwork
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_artwork__mark_delete AFTER DELETE ON task_sync.work_order_artwork
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_die__mark_insert AFTER INSERT ON task_sync.work_order_die
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_die__mark_update AFTER UPDATE ON task_sync.work_order_die
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_die__mark_delete AFTER DELETE ON task_sync.work_order_die
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_foiling_plate__mark_insert AFTER INSERT ON task_sync.work_order_foiling_plate
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_foiling_plate__mark_update AFTER UPDATE ON task_sync.work_order_foiling_plate
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_foiling_plate__mark_delete AFTER DELETE ON task_sync.work_order_foiling_plate
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_embossing_plate__mark_insert AFTER INSERT ON task_sync.work_order_embossing_plate
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_embossing_plate__mark_update AFTER UPDATE ON task_sync.work_order_embossing_plate
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_embossing_plate__mark_delete AFTER DELETE ON task_sync.work_order_embossing_plate
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_material__mark_insert AFTER INSERT ON task_sync.work_order_material
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_material__mark_update AFTER UPDATE ON task_sync.work_order_material
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_material__mark_delete AFTER DELETE ON task_sync.work_order_material
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_product__mark_insert AFTER INSERT ON task_sync.work_order_product
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_product__mark_update AFTER UPDATE ON task_sync.work_order_product
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();
CREATE TRIGGER work_order_product__mark_delete AFTER DELETE ON task_sync.work_order_product
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark();

-- The work order's own generating columns.
CREATE TRIGGER work_order__mark_update AFTER UPDATE ON task_sync.work_order
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order__mark();

-- Catalog values that reach generated fields.
CREATE TRIGGER process__mark_update AFTER UPDATE ON task_sync.process
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_catalog__mark();
CREATE TRIGGER artwork__mark_update AFTER UPDATE ON task_sync.artwork
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_catalog__mark();
CREATE TRIGGER die__mark_update AFTER UPDATE ON task_sync.die
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_catalog__mark();
CREATE TRIGGER foiling_plate__mark_update AFTER UPDATE ON task_sync.foiling_plate
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_catalog__mark();
CREATE TRIGGER embossing_plate__mark_update AFTER UPDATE ON task_sync.embossing_plate
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_catalog__mark();
CREATE TRIGGER material__mark_update AFTER UPDATE ON task_sync.material
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_catalog__mark();
CREATE TRIGGER product__mark_update AFTER UPDATE ON task_sync.product
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_catalog__mark();

-- The rules.
CREATE TRIGGER generation_rule__mark_insert AFTER INSERT ON task_sync.generation_rule
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_generation_rule__mark();
CREATE TRIGGER generation_rule__mark_update AFTER UPDATE ON task_sync.generation_rule
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_generation_rule__mark();
CREATE TRIGGER generation_rule__mark_delete AFTER DELETE ON task_sync.generation_rule
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_generation_rule__mark();

-- Dismissals: generated tasks deleted by people.
CREATE TRIGGER task__dismiss AFTER DELETE ON task_sync.task
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_task__dismiss();

-- Task changes by people that change a plan: generated tasks inserted, turned manual (a
-- dismissal), made drafts again, or given another key or baseline.
CREATE TRIGGER task__mark_insert AFTER INSERT ON task_sync.task
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_task__mark();
CREATE TRIGGER task__mark_update AFTER UPDATE ON task_sync.task
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_task__mark();

-- TRUNCATE has no transition tables: every work order is marked.
CREATE TRIGGER work_order_process__mark_truncate AFTER TRUNCATE ON task_sync.work_order_process
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_any__mark_truncate();
CREATE TRIGGER work_order_artwork__mark_truncate AFTER TRUNCATE ON task_sync.work_order_artwork
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_any__mark_truncate();
CREATE TRIGGER work_order_die__mark_truncate AFTER TRUNCATE ON task_sync.work_order_die
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_any__mark_truncate();
CREATE TRIGGER work_order_foiling_plate__mark_truncate AFTER TRUNCATE ON task_sync.work_order_foiling_plate
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_any__mark_truncate();
CREATE TRIGGER work_order_embossing_plate__mark_truncate AFTER TRUNCATE ON task_sync.work_order_embossing_plate
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_any__mark_truncate();
CREATE TRIGGER work_order_material__mark_truncate AFTER TRUNCATE ON task_sync.work_order_material
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_any__mark_truncate();
CREATE TRIGGER work_order_product__mark_truncate AFTER TRUNCATE ON task_sync.work_order_product
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_any__mark_truncate();
CREATE TRIGGER task__mark_truncate AFTER TRUNCATE ON task_sync.task
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_any__mark_truncate();
CREATE TRIGGER task_dismissal__mark_truncate AFTER TRUNCATE ON task_sync.task_dismissal
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_any__mark_truncate();
CREATE TRIGGER generation_rule__mark_truncate AFTER TRUNCATE ON task_sync.generation_rule
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_any__mark_truncate();

-- A deleted work order's marks go with it.
CREATE TRIGGER work_order__forget_marks AFTER DELETE ON task_sync.work_order
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order__forget_marks();

-- Dismissals of a deleted process are forgotten.
CREATE TRIGGER work_order_process__forget_dismissals AFTER DELETE ON task_sync.work_order_process
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_process__forget_dismissals();

-- A process that still has formal tasks cannot be deleted (TSC04).
CREATE TRIGGER work_order_process__guard_formal BEFORE DELETE ON task_sync.work_order_process
    FOR EACH ROW EXECUTE FUNCTION task_sync.tg_work_order_process__guard_formal();
