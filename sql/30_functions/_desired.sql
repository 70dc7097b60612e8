-- task_sync_internal._desired(p_work_order_ids bigint[])
--   -> setof (work_order_id, work_order_process_id, process_code, task_type, source_kind, source_id,
--             then each synced field's desired value)
-- The desired set D: the generated tasks the rules yield for these work orders now, computed from
-- the database alone. Every process of a work order takes the rules of its code, or the default
-- rules (process_code NULL) when its code has none; each rule yields one task per source of its
-- source_kind, as _sources gives them for every registered kind (the work order itself, each
-- linked catalog row of a link kind, each line of a line kind, e.g. each material line that needs
-- cutting), reading only these work orders' rows and the catalog rows they name. One set-based
-- query for any number of work orders. Each synced field's value is the expression its entry of
-- pytask_sync/fields.py gives (desired), over the route row with every column of its rule (rt:
-- r.* and er.* below, so that a rule column added for a field reaches it), the source (s) and the
-- work order (wo).
-- Locks:   none (plain reads).
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._desired(p_work_order_ids bigint[])
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
