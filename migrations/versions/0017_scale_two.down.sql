-- 0017_scale_two down: back to 0016_fields_generated.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE OR REPLACE FUNCTION task_sync_internal._queue()
RETURNS TABLE (
    work_order_id   bigint,
    order_number    text,
    synced_version  bigint,
    weight          bigint,
    pending_since   timestamptz,
    may_sync        boolean
)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT w.id, w.order_number, w.synced_version, m.weight, m.since,
           task_sync_internal._may_sync(w.status, w.approval_status)
    FROM (SELECT x.work_order_id, sum(x.weight) AS weight, min(x.marked_at) AS since
          FROM task_sync.work_order_mark x
          GROUP BY x.work_order_id) m
    JOIN task_sync.work_order w ON w.id = m.work_order_id
    -- the marked work orders by id: a join alone may read every work order (a hash join, the one
    -- plan callers that turn nested loops off can have), which made pending() and plan_pending
    -- cost the size of the shop, not of its backlog
    WHERE w.id = ANY (ARRAY(SELECT DISTINCT y.work_order_id FROM task_sync.work_order_mark y));
END;

COMMENT ON FUNCTION task_sync_internal._queue() IS
    'The work orders with marks, and whether each may be synced (the source of pending and sync_pending)';

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
                'SELECT l.work_order_id, %L::text, %s, c.name, %s'
                ' FROM task_sync.%I l JOIN task_sync.%I c ON c.id = l.%I'
                ' WHERE l.work_order_id = ANY (p_work_order_ids)%s'
                ' AND c.id = ANY (ARRAY(SELECT x.%I FROM task_sync.%I x WHERE x.work_order_id = ANY (p_work_order_ids)))',
                k.kind,
                CASE k.shape WHEN 'link' THEN format('l.%I', n.id_column) ELSE 'l.id' END,
                CASE k.shape WHEN 'link' THEN 'NULL::integer' ELSE 'l.quantity' END,
                n.link_table, k.kind, n.id_column,
                CASE WHEN k.line_filter IS NOT NULL THEN format(' AND l.%I', k.line_filter) ELSE '' END,
                n.id_column, n.link_table)
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

CREATE OR REPLACE FUNCTION task_sync.plan_pending(p_limit integer DEFAULT NULL)
RETURNS SETOF task_sync.plan_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- hash joins at every size, as in plan(): a fleet's plans are large, whatever a cached plan assumed
SET enable_nestloop = off
SET jit = off
AS $$
BEGIN
    RETURN QUERY
        SELECT (i.r).*
        FROM task_sync_internal._items(ARRAY(
                SELECT r
                FROM task_sync_internal._plan_rows(ARRAY(SELECT p.work_order_id FROM task_sync.pending(p_limit) AS p)) AS r)) AS i
        ORDER BY i.ord;
END
$$;

COMMENT ON FUNCTION task_sync.plan_pending(integer) IS
    'plan_pending(p_limit): the visible plan items of every pending work order (at most p_limit, NULL: all), '
    'set-based and read-only: a fleet-wide what-if of a rule change inside a rolled-back transaction. TSV01: negative limit';

CREATE OR REPLACE FUNCTION task_sync.prune_history(p_older_than interval)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_batch     CONSTANT integer := 1000;
    v_before    timestamptz;
    v_runs      bigint := 0;
    v_done      integer;
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.prune_history');
    IF p_older_than IS NULL OR p_older_than < interval '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: invalid interval: %s', coalesce(p_older_than::text, 'NULL')),
            HINT = 'Pass how old a sync must be to go, e.g. interval ''90 days''.';
    END IF;
    v_before := now() - p_older_than;
    LOOP
        WITH runs AS MATERIALIZED (
            SELECT s.work_order_id, s.id
            FROM task_sync.sync_run s
            WHERE s.ran_at < v_before
            ORDER BY s.id
            LIMIT c_batch
        ),
        items AS (
            DELETE FROM task_sync.sync_item i
            USING runs r
            WHERE i.work_order_id = r.work_order_id AND i.sync_run_id = r.id
        )
        DELETE FROM task_sync.sync_run s
        USING runs r
        WHERE s.work_order_id = r.work_order_id AND s.id = r.id;
        GET DIAGNOSTICS v_done = ROW_COUNT;
        v_runs := v_runs + v_done;
        EXIT WHEN v_done < c_batch;
    END LOOP;
    RETURN v_runs;
END
$$;

COMMENT ON FUNCTION task_sync.prune_history(interval) IS
    'prune_history(p_older_than) -> bigint: removes the syncs older than p_older_than from the audit '
    '(sync_run and their sync_item rows) in batches, returns how many sync_run rows went. Owner only. '
    'TSV01: null or negative interval; TSC07: a read-only transaction';


REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;

-- the builder went back: _sources rebuilt from the registry with it
SELECT task_sync_internal._source_view_build();
