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
        FROM (SELECT ARRAY(
                  SELECT DISTINCT er.source_kind FROM effective_rule er
                  WHERE
                      -- for each synced field, joined by "OR":
                      --   ({names})
                      (strpos(er.content_template, '{source_name}') > 0)
                      OR (false)
                      -- end
                  ) AS kinds) named
        -- the kinds as a column, not a subquery in the call: PostgreSQL inlines no function
        -- whose arguments hold a subquery
        CROSS JOIN LATERAL task_sync_internal._sources(p_work_order_ids, named.kinds) s
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

CREATE OR REPLACE FUNCTION task_sync_internal._plan_rows(
    p_work_order_ids bigint[], p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS SETOF task_sync.plan_row
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS MATERIALIZED (
        SELECT * FROM task_sync_internal._desired(p_work_order_ids)
    ),
    g AS MATERIALIZED (
        -- generated tasks, draft and formal; wpk is the key's process, 0 once the process is deleted
        SELECT t.id, t.work_order_id, t.work_order_process_id, coalesce(t.work_order_process_id, 0) AS wpk,
               t.task_type, t.source_kind, t.source_id, t.status <> 'draft' AS formal,
               -- for each synced field, joined by ",":
               --   t.{name}, t.generated_{name}
               t.work_content, t.generated_work_content,
               t.production_quantity, t.generated_production_quantity
               -- end
        FROM task_sync.task t
        WHERE t.work_order_id = ANY (p_work_order_ids) AND t.origin = 'generated'
    ),
    missing_key AS (
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id FROM d
        EXCEPT
        SELECT work_order_id, wpk, task_type, source_kind, source_id FROM g
    ),
    dismissed_key AS (
        SELECT * FROM missing_key
        INTERSECT
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id
        FROM task_sync.task_dismissal
        -- the dismissals of the work orders with missing keys only (an index search each)
        WHERE work_order_id = ANY (ARRAY(SELECT DISTINCT k.work_order_id FROM missing_key k))
    ),
    gone_key AS (
        SELECT work_order_id, wpk, task_type, source_kind, source_id FROM g
        EXCEPT
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id FROM d
    ),
    matched AS (
        SELECT g.*, d.process_code,
               -- for each synced field, joined by ",":
               --   d.{name} AS desired_{name},
               --   task_sync_internal._field_outcome(g.{name}, g.generated_{name}, d.{name}) AS {name}_outcome
               d.work_content AS desired_work_content,
               task_sync_internal._field_outcome(g.work_content, g.generated_work_content, d.work_content) AS work_content_outcome,
               d.production_quantity AS desired_production_quantity,
               task_sync_internal._field_outcome(g.production_quantity, g.generated_production_quantity, d.production_quantity) AS production_quantity_outcome
               -- end
        FROM g
        JOIN d ON d.work_order_id = g.work_order_id AND d.work_order_process_id = g.wpk
              AND d.task_type = g.task_type AND d.source_kind = g.source_kind AND d.source_id = g.source_id
        WHERE NOT g.formal
        OFFSET 0    -- each outcome computed once per row, not at each use below
    ),
    judged AS (
        -- each matched draft's line words, computed once per row (OFFSET 0 keeps this a level of
        -- its own): the lines below are taken apart into columns with .*, which copies the call of
        -- _plan_line, arguments and all, into each column before the planner simplifies them, so
        -- its arguments are kept to columns (expressions there cost milliseconds of planning)
        SELECT m.*,
               CASE WHEN (
                        -- for each synced field, joined by "OR":
                        --   (m.{name}_outcome = 'conflict'
                        --    AND NOT task_sync_internal._field_writes(m.{name}_outcome, p_overwrite_edits))
                        (m.work_content_outcome = 'conflict'
                         AND NOT task_sync_internal._field_writes(m.work_content_outcome, p_overwrite_edits))
                        OR (m.production_quantity_outcome = 'conflict'
                         AND NOT task_sync_internal._field_writes(m.production_quantity_outcome, p_overwrite_edits))
                        -- end
                        ) THEN 'conflict'
                    WHEN (
                        -- for each synced field, joined by "OR":
                        --   task_sync_internal._field_writes(m.{name}_outcome, p_overwrite_edits)
                        task_sync_internal._field_writes(m.work_content_outcome, p_overwrite_edits)
                        OR task_sync_internal._field_writes(m.production_quantity_outcome, p_overwrite_edits)
                        -- end
                        ) THEN 'update'
                    ELSE 'keep' END AS action,
               (
                   -- for each synced field, joined by "OR":
                   --   m.{name} IS DISTINCT FROM m.generated_{name}
                   m.work_content IS DISTINCT FROM m.generated_work_content
                   OR m.production_quantity IS DISTINCT FROM m.generated_production_quantity
                   -- end
                   ) AS edited,
               array_remove(ARRAY[
                   -- for each synced field, joined by ",":
                   --   CASE WHEN task_sync_internal._field_writes(m.{name}_outcome, p_overwrite_edits) THEN '{name}' END
                   CASE WHEN task_sync_internal._field_writes(m.work_content_outcome, p_overwrite_edits) THEN 'work_content' END,
                   CASE WHEN task_sync_internal._field_writes(m.production_quantity_outcome, p_overwrite_edits) THEN 'production_quantity' END
                   -- end
                   ], NULL) AS update_fields,
               array_remove(ARRAY[
                   -- for each synced field, joined by ",":
                   --   CASE WHEN m.{name}_outcome = 'conflict' THEN '{name}' END
                   CASE WHEN m.work_content_outcome = 'conflict' THEN 'work_content' END,
                   CASE WHEN m.production_quantity_outcome = 'conflict' THEN 'production_quantity' END
                   -- end
                   ], NULL) AS conflict_fields,
               p_overwrite_edits AND 'conflict' IN (
                   -- for each synced field, joined by ",":
                   --   m.{name}_outcome
                   m.work_content_outcome,
                   m.production_quantity_outcome
                   -- end
                   ) AS overwritten
        FROM matched m
        OFFSET 0
    )
    -- each line built by name (_plan_line); the three kinds of line:
    -- keys in D with no generated task
    SELECT (task_sync_internal._plan_line(
               work_order_id => d.work_order_id,
               action => CASE WHEN dismissed AND NOT p_restore_dismissed THEN 'dismissed' ELSE 'add' END,
               work_order_process_id => d.work_order_process_id, process_code => d.process_code,
               task_type => d.task_type, source_kind => d.source_kind, source_id => d.source_id,
               -- for each synced field:
               --   desired_{name} => d.{name},
               desired_work_content => d.work_content,
               desired_production_quantity => d.production_quantity,
               -- end
               restored => dismissed AND p_restore_dismissed)).*
    FROM d
    CROSS JOIN LATERAL (
        SELECT (d.work_order_id, d.work_order_process_id, d.task_type, d.source_kind, d.source_id)
               IN (SELECT * FROM dismissed_key) AS dismissed) x
    WHERE (d.work_order_id, d.work_order_process_id, d.task_type, d.source_kind, d.source_id)
          IN (SELECT * FROM missing_key)
    UNION ALL
    -- generated tasks whose key left D
    SELECT (task_sync_internal._plan_line(
               work_order_id => g.work_order_id, action => CASE WHEN g.formal THEN 'orphaned' ELSE 'remove' END,
               task_id => g.id, work_order_process_id => g.work_order_process_id, process_code => p.code,
               task_type => g.task_type, source_kind => g.source_kind, source_id => g.source_id,
               -- for each synced field:
               --   current_{name} => g.{name}, baseline_{name} => g.generated_{name},
               current_work_content => g.work_content, baseline_work_content => g.generated_work_content,
               current_production_quantity => g.production_quantity, baseline_production_quantity => g.generated_production_quantity,
               -- end
               edited => (
                   -- for each synced field, joined by "OR":
                   --   g.{name} IS DISTINCT FROM g.generated_{name}
                   g.work_content IS DISTINCT FROM g.generated_work_content
                   OR g.production_quantity IS DISTINCT FROM g.generated_production_quantity
                   -- end
                   ))).*
    FROM g
    LEFT JOIN task_sync.work_order_process wop
           ON wop.work_order_id = g.work_order_id AND wop.id = g.work_order_process_id
          -- bounded scan, also when hashing: the route rows of the work orders with gone keys only
          AND wop.work_order_id = ANY (ARRAY(SELECT DISTINCT k.work_order_id FROM gone_key k))
    LEFT JOIN task_sync.process p ON p.id = wop.process_id
    WHERE (g.work_order_id, g.wpk, g.task_type, g.source_kind, g.source_id) IN (SELECT * FROM gone_key)
    UNION ALL
    -- drafts whose key is in D, three ways: a conflict the sync does not write stays a conflict,
    -- any field it writes makes an update (_field_writes), else the draft is kept
    SELECT (task_sync_internal._plan_line(
               work_order_id => m.work_order_id, action => m.action,
               task_id => m.id, work_order_process_id => m.work_order_process_id, process_code => m.process_code,
               task_type => m.task_type, source_kind => m.source_kind, source_id => m.source_id,
               -- for each synced field:
               --   current_{name} => m.{name}, baseline_{name} => m.generated_{name},
               --   desired_{name} => m.desired_{name},
               current_work_content => m.work_content, baseline_work_content => m.generated_work_content,
               desired_work_content => m.desired_work_content,
               current_production_quantity => m.production_quantity, baseline_production_quantity => m.generated_production_quantity,
               desired_production_quantity => m.desired_production_quantity,
               -- end
               edited => m.edited, update_fields => m.update_fields, conflict_fields => m.conflict_fields,
               overwritten => m.overwritten)).*
    FROM judged m
$$;

COMMENT ON FUNCTION task_sync_internal._plan_rows(bigint[], boolean, boolean) IS
    'The sync plan of these work orders, unordered, including internal keep lines';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
