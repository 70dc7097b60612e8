-- task_sync.tg_catalog__mark() -> trigger
-- Statement-level AFTER UPDATE trigger of the catalogs process, artwork, die, foiling_plate,
-- embossing_plate, material and product. A catalog row's values reach generated tasks through
-- templates: a process through {process_code}, {process_name} and the rules matched by its code;
-- a source through {source_name}. Marks the work orders that use a row whose name (or, for a
-- process, code) changed; for a source, only while some rule of its kind uses {source_name}.
-- The link table and column follow from the catalog's name: work_order_<catalog>.<catalog>_id.
-- Locks:   the marked work order rows (through _mark).
-- Raises:  nothing.
-- Writes:  work_order (through _mark).

CREATE FUNCTION task_sync.tg_catalog__mark()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF TG_TABLE_NAME <> 'process' AND NOT EXISTS (
        SELECT FROM task_sync.generation_rule r
        WHERE r.source_kind = TG_TABLE_NAME AND strpos(r.content_template, '{source_name}') > 0)
    THEN
        RETURN NULL;
    END IF;
    EXECUTE format(
        'SELECT ARRAY(SELECT DISTINCT l.work_order_id FROM task_sync.%I l '
        'JOIN old_rows o ON o.id = l.%I JOIN new_rows n ON n.id = o.id WHERE %s)',
        'work_order_' || TG_TABLE_NAME, TG_TABLE_NAME || '_id',
        CASE WHEN TG_TABLE_NAME = 'process' THEN '(n.name, n.code) IS DISTINCT FROM (o.name, o.code)'
             ELSE 'n.name IS DISTINCT FROM o.name' END)
    INTO v_ids;
    PERFORM task_sync._mark(v_ids);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_catalog__mark() IS
    'Marks work orders that use a catalog row whose generating values changed (statement-level)';
