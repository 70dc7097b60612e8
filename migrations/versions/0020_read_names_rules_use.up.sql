-- 0020_read_names_rules_use up: A catalog's names read only when a rule names the source.
-- Frozen from the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE OR REPLACE FUNCTION task_sync_internal._source_view_build()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_view  text[];
    v_fn    text[];
BEGIN
    SELECT array_agg(b.v ORDER BY b.kind), array_agg(b.f ORDER BY b.kind)
    INTO v_view, v_fn
    FROM (
        SELECT k.kind,
            CASE k.shape
            WHEN 'work_order' THEN format(
                'SELECT w.id AS work_order_id, %L::text AS source_kind, w.id AS source_id,'
                ' w.order_number AS name, NULL::integer AS quantity FROM task_sync.work_order w', k.kind)
            WHEN 'link' THEN format(
                'SELECT l.work_order_id, %L::text AS source_kind, l.%I AS source_id, c.name, NULL::integer AS quantity'
                ' FROM task_sync.%I l JOIN task_sync.%I c ON c.id = l.%I',
                k.kind, n.id_column, n.link_table, k.kind, n.id_column)
            ELSE format(
                'SELECT l.work_order_id, %L::text AS source_kind, l.id AS source_id, c.name, l.quantity'
                ' FROM task_sync.%I l JOIN task_sync.%I c ON c.id = l.%I%s',
                k.kind, n.link_table, k.kind, n.id_column,
                CASE WHEN k.line_filter IS NOT NULL THEN format(' WHERE l.%I', k.line_filter) ELSE '' END)
            END AS v,
            CASE k.shape
            WHEN 'work_order' THEN format(
                'SELECT w.id, %L::text, w.id, w.order_number, NULL::integer FROM task_sync.work_order w'
                ' WHERE w.id = ANY (p_work_order_ids)', k.kind)
            ELSE format(
                'SELECT s.* FROM (WITH l AS MATERIALIZED ('
                'SELECT l.work_order_id, l.%I%s FROM task_sync.%I l WHERE l.work_order_id = ANY (p_work_order_ids)%s)'
                ' SELECT l.work_order_id, %L::text, %s, c.name, %s'
                ' FROM l LEFT JOIN (SELECT c.id, c.name FROM task_sync.%I c'
                ' WHERE c.id = ANY (ARRAY(SELECT l.%I FROM l))'
                ' AND EXISTS (SELECT FROM task_sync.generation_rule r'
                ' WHERE r.source_kind = %L AND strpos(r.content_template, ''{source_name}'') > 0)'
                ' OFFSET 0) c ON c.id = l.%I) s',
                n.id_column, CASE k.shape WHEN 'link' THEN '' ELSE ', l.id, l.quantity' END, n.link_table,
                CASE WHEN k.line_filter IS NOT NULL THEN format(' AND l.%I', k.line_filter) ELSE '' END,
                k.kind,
                CASE k.shape WHEN 'link' THEN format('l.%I', n.id_column) ELSE 'l.id' END,
                CASE k.shape WHEN 'link' THEN 'NULL::integer' ELSE 'l.quantity' END,
                k.kind, n.id_column, k.kind, n.id_column)
            END AS f
        FROM task_sync.source_kind k
        CROSS JOIN LATERAL task_sync_internal._kind_tables(k.kind) n
    ) b;
    EXECUTE 'CREATE OR REPLACE VIEW task_sync.work_order_source AS '
        || array_to_string(v_view, ' UNION ALL ');
    COMMENT ON VIEW task_sync.work_order_source IS
        'Every source of every work order, of every registered kind: what a rule of that source_kind yields one task per '
        '(rebuilt from task_sync.source_kind)';
    EXECUTE 'CREATE OR REPLACE FUNCTION task_sync_internal._sources(p_work_order_ids bigint[])'
        ' RETURNS TABLE (work_order_id bigint, source_kind text, source_id bigint, name text, quantity integer)'
        ' LANGUAGE sql STABLE BEGIN ATOMIC '
        || array_to_string(v_fn, ' UNION ALL ') || '; END';
    COMMENT ON FUNCTION task_sync_internal._sources(bigint[]) IS
        'The sources of these work orders, of every registered kind, reading only their catalog rows (rebuilt from '
        'task_sync.source_kind)';
END
$$;

COMMENT ON FUNCTION task_sync_internal._source_view_build() IS
    'Rebuilds the view work_order_source and the function _sources from the registry of source kinds';



REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;

-- _sources rebuilt by the new builder (its signature, grants and the view's are unchanged)
SELECT task_sync_internal._source_view_build();
