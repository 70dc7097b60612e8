-- 0007_whole_rows down: column-by-column grants again, no guards.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

-- the guards of every table (the links and lines of every kind included)
DO $$
DECLARE
    v_trigger   name;
    v_rel       regclass;
BEGIN
    FOR v_trigger, v_rel IN
        SELECT t.tgname, t.tgrelid::regclass
        FROM pg_catalog.pg_trigger t
        WHERE t.tgfoid IN ('task_sync_internal.tg_any__guard_columns()'::regprocedure,
                           'task_sync_internal.tg_task__guard_id()'::regprocedure)
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', v_trigger, v_rel);
    END LOOP;
END
$$;
DROP FUNCTION task_sync_internal.tg_any__guard_columns();
DROP FUNCTION task_sync_internal.tg_task__guard_id();

CREATE OR REPLACE FUNCTION task_sync_internal.tg_work_order_process__guard_formal()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count bigint;
BEGIN
    SELECT count(*) INTO v_count
    FROM task_sync.task t
    WHERE t.work_order_id = OLD.work_order_id AND t.work_order_process_id = OLD.id AND t.status <> 'draft';
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC04',
            MESSAGE = format('process %s of work order %s still has %s formal task(s)',
                             OLD.id, OLD.work_order_id, v_count),
            HINT = 'Complete or cancel its tasks elsewhere first; formal tasks are never removed by pytask_sync.';
    END IF;
    RETURN OLD;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order_process__guard_formal() IS
    'Refuses deleting a route process that still has formal tasks (TSC04)';

CREATE OR REPLACE FUNCTION task_sync_internal._source_kind_dress(p_kind text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_lines boolean := (SELECT k.shape = 'line' FROM task_sync.source_kind k WHERE k.kind = p_kind);
    v_link  text := 'work_order_' || p_kind;
    v_ref   text := p_kind || '_id';
    v_op    text;
BEGIN
    FOREACH v_op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
        EXECUTE format(
            'CREATE OR REPLACE TRIGGER %I AFTER %s ON task_sync.%I REFERENCING %s'
            ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_work_order_input__mark()',
            task_sync_internal._ident(v_link || '__mark_' || v_op), upper(v_op), v_link,
            CASE v_op WHEN 'insert' THEN 'NEW TABLE AS new_rows'
                      WHEN 'update' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                      ELSE 'OLD TABLE AS old_rows' END);
    END LOOP;
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I AFTER TRUNCATE ON task_sync.%I'
        ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__mark_truncate()',
        task_sync_internal._ident(v_link || '__mark_truncate'), v_link);
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON task_sync.%I'
        ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
        ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_catalog__mark()',
        task_sync_internal._ident(p_kind || '__mark_update'), p_kind);

    EXECUTE format('GRANT SELECT ON task_sync.%I, task_sync.%I TO task_sync_reader', p_kind, v_link);
    EXECUTE format('GRANT INSERT, DELETE ON task_sync.%I TO task_sync_writer', v_link);
    EXECUTE format('GRANT UPDATE (%I%s) ON task_sync.%I TO task_sync_writer',
                   v_ref, CASE WHEN v_lines THEN ', quantity' ELSE '' END, v_link);

    EXECUTE format('COMMENT ON TABLE task_sync.%I IS %L', p_kind,
                   format('Catalog of the source kind %s: what work orders link to, by code and name', p_kind));
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.id IS %L', p_kind,
                   CASE WHEN v_lines THEN 'The catalog row (lines point at it)' ELSE 'The catalog row: the source_id of its tasks' END);
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.code IS %L', p_kind, 'Unique code');
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.name IS %L', p_kind,
                   'Name, as a template''s {source_name} shows it (a rename marks the work orders that use the row)');
    IF v_lines THEN
        EXECUTE format('COMMENT ON TABLE task_sync.%I IS %L', v_link, format(
            'Lines of %s on work orders: a rule of source_kind %s yields one task per line '
            '(source_id = the line id; quantity_source source takes its quantity)', p_kind, p_kind));
        EXECUTE format('COMMENT ON COLUMN task_sync.%I.id IS %L', v_link, 'The line, and the source_id of its tasks');
        EXECUTE format('COMMENT ON COLUMN task_sync.%I.quantity IS %L', v_link,
                       'The line''s quantity (>= 0): a task''s production_quantity when its rule says source');
    ELSE
        EXECUTE format('COMMENT ON TABLE task_sync.%I IS %L', v_link, format(
            'Links of work orders to %s: a rule of source_kind %s yields one task per link '
            '(source_id = %s)', p_kind, p_kind, v_ref));
    END IF;
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.work_order_id IS %L', v_link, 'The work order');
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.%I IS %L', v_link, v_ref, format('The %s (catalog row)', p_kind));
END
$$;

COMMENT ON FUNCTION task_sync_internal._source_kind_dress(text) IS
    'Gives a registered kind''s tables their triggers, grants and comments (idempotent)';

-- the grants of 0006: whole tables taken back, the columns given again
REVOKE INSERT, UPDATE ON task_sync.work_order, task_sync.task FROM task_sync_writer;
REVOKE UPDATE ON task_sync.work_order_process FROM task_sync_writer;
GRANT INSERT (id, order_number, production_quantity, status, approval_status, created_at),
      UPDATE (order_number, production_quantity, status, approval_status)
ON task_sync.work_order TO task_sync_writer;
GRANT UPDATE (process_id, sequence) ON task_sync.work_order_process TO task_sync_writer;
GRANT INSERT (id, work_order_id, work_order_process_id, status, task_type, source_kind, source_id,
              work_content, production_quantity, quantity_completed, created_at),
      UPDATE (work_content, production_quantity, quantity_completed, status)
ON task_sync.task TO task_sync_writer;
DO $$
DECLARE
    v_kind  text;
BEGIN
    FOR v_kind IN SELECT k.kind FROM task_sync.source_kind k WHERE k.shape <> 'work_order' ORDER BY k.kind LOOP
        EXECUTE pg_catalog.format('REVOKE UPDATE ON task_sync.%I FROM task_sync_writer', 'work_order_' || v_kind);
        PERFORM task_sync_internal._source_kind_dress(v_kind);
    END LOOP;
END
$$;
GRANT UPDATE (need_cutting) ON task_sync.work_order_material TO task_sync_writer;

COMMENT ON COLUMN task_sync.plan_row.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.plan_row.action IS NULL;
COMMENT ON COLUMN task_sync.plan_row.task_id IS NULL;
COMMENT ON COLUMN task_sync.plan_row.work_order_process_id IS NULL;
COMMENT ON COLUMN task_sync.plan_row.process_code IS NULL;
COMMENT ON COLUMN task_sync.plan_row.task_type IS NULL;
COMMENT ON COLUMN task_sync.plan_row.source_kind IS NULL;
COMMENT ON COLUMN task_sync.plan_row.source_id IS NULL;
COMMENT ON COLUMN task_sync.plan_row.current_work_content IS NULL;
COMMENT ON COLUMN task_sync.plan_row.baseline_work_content IS NULL;
COMMENT ON COLUMN task_sync.plan_row.desired_work_content IS NULL;
COMMENT ON COLUMN task_sync.plan_row.current_production_quantity IS NULL;
COMMENT ON COLUMN task_sync.plan_row.baseline_production_quantity IS NULL;
COMMENT ON COLUMN task_sync.plan_row.desired_production_quantity IS NULL;
COMMENT ON COLUMN task_sync.plan_row.edited IS NULL;
COMMENT ON COLUMN task_sync.plan_row.update_fields IS NULL;
COMMENT ON COLUMN task_sync.plan_row.conflict_fields IS NULL;
COMMENT ON COLUMN task_sync.plan_row.restored IS NULL;
COMMENT ON COLUMN task_sync.plan_row.overwritten IS NULL;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
