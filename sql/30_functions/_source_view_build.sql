-- task_sync_internal._source_view_build() -> void
-- (Re)creates the view task_sync.work_order_source from the registry task_sync.source_kind: one
-- UNION ALL branch per kind, in the order of the kinds' names, each giving (work_order_id,
-- source_kind, source_id, name, quantity):
--   work_order  the work order itself: source_id its id, name its order_number;
--   link        work_order_<kind> joined to its catalog: source_id the catalog id, name its name;
--   line        work_order_<kind> joined to its catalog: source_id the line id, name the catalog
--               name, quantity the line's; with line_filter, only lines where that column is true.
-- This view is how the engine reads every kind (_desired); a condition on work_order_id reaches
-- every branch. Identifiers come from the registry through format('%I') and literals through
-- format('%L'): a kind's name never reaches SQL unquoted.
-- Locks:   the view, ACCESS EXCLUSIVE (CREATE OR REPLACE VIEW), until commit.
-- Raises:  nothing of its own.
-- Writes:  the view's definition.

CREATE FUNCTION task_sync_internal._source_view_build()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_branches text[];
BEGIN
    v_branches := ARRAY(
        SELECT CASE k.shape
            WHEN 'work_order' THEN format(
                'SELECT w.id AS work_order_id, %L::text AS source_kind, w.id AS source_id,'
                ' w.order_number AS name, NULL::integer AS quantity FROM task_sync.work_order w', k.kind)
            WHEN 'link' THEN format(
                'SELECT l.work_order_id, %L::text AS source_kind, l.%I AS source_id, c.name, NULL::integer AS quantity'
                ' FROM task_sync.%I l JOIN task_sync.%I c ON c.id = l.%I',
                k.kind, k.kind || '_id', 'work_order_' || k.kind, k.kind,
                k.kind || '_id')
            ELSE format(
                'SELECT l.work_order_id, %L::text AS source_kind, l.id AS source_id, c.name, l.quantity'
                ' FROM task_sync.%I l JOIN task_sync.%I c ON c.id = l.%I%s',
                k.kind, 'work_order_' || k.kind, k.kind, k.kind || '_id',
                CASE WHEN k.line_filter IS NOT NULL THEN format(' WHERE l.%I', k.line_filter) ELSE '' END)
            END
        FROM task_sync.source_kind k
        ORDER BY k.kind);
    EXECUTE 'CREATE OR REPLACE VIEW task_sync.work_order_source AS '
        || array_to_string(v_branches, ' UNION ALL ');
    COMMENT ON VIEW task_sync.work_order_source IS
        'Every source of every work order, of every registered kind: what a rule of that source_kind yields one task per '
        '(rebuilt from task_sync.source_kind)';
END
$$;

COMMENT ON FUNCTION task_sync_internal._source_view_build() IS
    'Rebuilds the view work_order_source from the registry of source kinds';
