-- task_sync_internal._source_view_build() -> void
-- (Re)creates, from the registry task_sync.source_kind, the two readings of every source of every
-- work order: the view task_sync.work_order_source (for people) and the function
-- task_sync_internal._sources(p_work_order_ids, p_named) (for the engine: _desired). Both have
-- one UNION ALL branch per kind, in the order of the kinds' names, each giving (work_order_id,
-- source_kind, source_id, name, quantity):
--   work_order  the work order itself: source_id its id, name its order_number (the function
--               reads the work order's row only when its name is asked for; otherwise its
--               sources are the ids given, each once, which _desired joins to the work orders
--               it reads itself);
--   link        work_order_<kind> (the names: _kind_tables) joined to its catalog: source_id the
--               catalog id, name its name;
--   line        work_order_<kind> joined to its catalog: source_id the line id, name the catalog
--               name, quantity the line's; with line_filter, only lines where that column is true.
-- The join is an outer one: a link or line is a source whether or not its catalog row is there
-- (a foreign key, ON DELETE RESTRICT, keeps it there; only writes with foreign keys bypassed,
-- session_replication_role = replica, can leave it without one, and then its name is NULL).
-- The function's branches read only the given work orders' links and lines, once (a materialized
-- CTE: the table was read twice, for the join and for the catalog ids, which at ten million tasks,
-- the work orders' rows on as many index pages as rows, was a quarter of a plan's reads), and only
-- the catalog rows those name (c.id = ANY (ARRAY(the links' catalog ids)): one index scan for all
-- of them); the join of the two is then of the work orders' own rows. A kind's catalog is read for
-- its names only when the kind is in p_named (_desired names the kinds one of whose rules has a
-- field that reads the source's name, pytask_sync/fields.py: names; with the standard fields, a
-- template with '{source_name}'); otherwise the branch's name is NULL and the catalog is not
-- touched (a one-time filter, kept in a subquery of its own by OFFSET 0 so that it gates the
-- catalog's scan rather than the join): with the standard rules five catalogs of six are never
-- read, which at ten million tasks were an index descent and a heap page per source of a plan.
-- The engine plans with nested loops off (see execute), under which the view's join read each
-- catalog in full into a hash, so a call's cost grew with the catalogs (a print shop's artworks
-- grow without bound), and a scalar subquery per source instead doubled the desired set of a
-- batch. It is a SQL function with a standard body and no SET clause, so it is inlined into
-- _desired with the parameters in place (and bound when created: a kind's tables cannot be
-- dropped while a branch names them).
-- Identifiers come from the registry through format('%I') and literals through format('%L'): a
-- kind's name never reaches SQL unquoted.
-- Locks:   the view and the function, ACCESS EXCLUSIVE (CREATE OR REPLACE), until commit.
-- Raises:  nothing of its own.
-- Writes:  the view's and the function's definitions.

CREATE FUNCTION task_sync_internal._source_view_build()
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
                'SELECT w.id, %1$L::text, w.id, w.order_number, NULL::integer FROM task_sync.work_order w'
                ' WHERE w.id = ANY (p_work_order_ids) AND %1$L = ANY (p_named)'
                ' UNION ALL SELECT i.id, %1$L::text, i.id, NULL::text, NULL::integer'
                ' FROM (SELECT DISTINCT unnest(p_work_order_ids)) AS i (id)'
                ' WHERE NOT coalesce(%1$L = ANY (p_named), false)', k.kind)
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
