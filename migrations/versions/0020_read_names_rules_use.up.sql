-- 0020_read_names_rules_use up: A catalog's names read only when a rule names the source.
-- Frozen from the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

-- _sources takes the kinds whose catalogs it reads for names (p_named): the builder below
-- creates it with that signature, and _desired, created after it, calls it so
DROP FUNCTION task_sync_internal._sources(bigint[]);

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
                ' FROM task_sync.%I l LEFT JOIN task_sync.%I c ON c.id = l.%I',
                k.kind, n.id_column, n.link_table, k.kind, n.id_column)
            ELSE format(
                'SELECT l.work_order_id, %L::text AS source_kind, l.id AS source_id, c.name, l.quantity'
                ' FROM task_sync.%I l LEFT JOIN task_sync.%I c ON c.id = l.%I%s',
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
                ' AND %L = ANY (p_named) OFFSET 0) c ON c.id = l.%I) s',
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
    EXECUTE 'CREATE OR REPLACE FUNCTION task_sync_internal._sources(p_work_order_ids bigint[], p_named text[])'
        ' RETURNS TABLE (work_order_id bigint, source_kind text, source_id bigint, name text, quantity integer)'
        ' LANGUAGE sql STABLE BEGIN ATOMIC '
        || array_to_string(v_fn, ' UNION ALL ') || '; END';
    COMMENT ON FUNCTION task_sync_internal._sources(bigint[], text[]) IS
        'The sources of these work orders, of every registered kind, reading only their catalog rows, and those only '
        'for the kinds named in p_named (rebuilt from task_sync.source_kind)';
END
$$;

COMMENT ON FUNCTION task_sync_internal._source_view_build() IS
    'Rebuilds the view work_order_source and the function _sources from the registry of source kinds';

SELECT task_sync_internal._source_view_build();
GRANT EXECUTE ON FUNCTION task_sync_internal._sources(bigint[], text[]) TO task_sync_reader;

CREATE OR REPLACE FUNCTION task_sync_internal._desired(p_work_order_ids bigint[])
RETURNS TABLE (
    work_order_id           bigint,
    work_order_process_id   bigint,
    process_code            text,
    task_type               text,
    source_kind             text,
    source_id               bigint,
    -- for each synced field, joined by ",":
    --   {name} {sql}
    work_content text,
    production_quantity integer
    -- end
)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH effective_rule AS MATERIALIZED (
        -- the rules each process of the catalog takes: its own, else the defaults; a template's
        -- regular-expression check runs here, once per rule and process
        SELECT p.id AS process_id, p.code, p.name, r.*, task_sync_internal._template_ok(r.content_template) AS template_ok
        FROM task_sync.process p
        JOIN task_sync.generation_rule r ON r.process_code = p.code
        UNION ALL
        SELECT p.id, p.code, p.name, r.*, task_sync_internal._template_ok(r.content_template)
        FROM task_sync.process p
        JOIN task_sync.generation_rule r ON r.process_code IS NULL
        WHERE NOT EXISTS (SELECT FROM task_sync.generation_rule s WHERE s.process_code = p.code)
    ),
    wo AS MATERIALIZED (
        SELECT w.id, w.order_number, w.production_quantity
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
    ),
    -- each process of the route with the rules it takes (materialized: a few rows per work order,
    -- so that sources are joined by (work order, kind) and never multiplied first)
    route AS MATERIALIZED (
        -- the template resolved here, once per rule and route row; per task only {source_name} is left
        SELECT wop.work_order_id, wop.id AS work_order_process_id, er.*,
               task_sync_internal._template_pre(er.content_template, er.template_ok, wo.order_number, er.code, er.name) AS pre
        FROM task_sync.work_order_process wop
        JOIN effective_rule er ON er.process_id = wop.process_id
        JOIN wo ON wo.id = wop.work_order_id
        WHERE wop.work_order_id = ANY (p_work_order_ids)
    ),
    source AS MATERIALIZED (
        -- every kind read the same way: built from the registry of kinds (_source_view_build); a
        -- kind's catalog is read for the sources' names only when some rule of that kind has a
        -- field that reads the name (fields.py: names)
        SELECT s.work_order_id, s.source_kind AS kind, s.source_id, s.name, s.quantity
        FROM task_sync_internal._sources(p_work_order_ids, ARRAY(
            SELECT DISTINCT er.source_kind FROM effective_rule er
            WHERE
                -- for each synced field, joined by "OR":
                --   ({names})
                (strpos(er.content_template, '{source_name}') > 0)
                OR (false)
                -- end
            )) s
    )
    SELECT rt.work_order_id, rt.work_order_process_id, rt.code, rt.task_type, rt.source_kind, s.source_id,
           -- for each synced field, joined by ",":
           --   {desired}
           task_sync_internal._content_from_pre(rt.pre, rt.content_template, wo.order_number, rt.code, rt.name,
                                                s.name),
           CASE rt.quantity_source
               WHEN 'one' THEN 1
               WHEN 'work_order' THEN coalesce(wo.production_quantity, 0)
               ELSE s.quantity
           END
           -- end
    FROM route rt
    JOIN source s ON s.work_order_id = rt.work_order_id AND s.kind = rt.source_kind
    JOIN wo ON wo.id = rt.work_order_id
$$;

COMMENT ON FUNCTION task_sync_internal._desired(bigint[]) IS
    'The desired generated tasks of these work orders, computed from the rules and the current inputs';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
