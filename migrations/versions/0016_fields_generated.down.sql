-- 0016_fields_generated down: back to 0015_snapshot_levels.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE OR REPLACE FUNCTION task_sync_internal._desired(p_work_order_ids bigint[])
RETURNS TABLE (
    work_order_id           bigint,
    work_order_process_id   bigint,
    process_code            text,
    task_type               text,
    source_kind             text,
    source_id               bigint,
    work_content            text,
    production_quantity     integer
)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH effective_rule AS MATERIALIZED (
        -- the rules each process of the catalog takes: its own, else the defaults; a template's
        -- regular-expression check runs here, once per rule and process
        SELECT p.id AS process_id, p.code, p.name, r.source_kind, r.task_type, r.quantity_source,
               r.content_template, task_sync_internal._template_ok(r.content_template) AS template_ok
        FROM task_sync.process p
        JOIN task_sync.generation_rule r ON r.process_code = p.code
        UNION ALL
        SELECT p.id, p.code, p.name, r.source_kind, r.task_type, r.quantity_source, r.content_template,
               task_sync_internal._template_ok(r.content_template)
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
        SELECT wop.work_order_id, wop.id, er.code, er.name, er.task_type, er.source_kind, er.quantity_source,
               er.content_template,
               task_sync_internal._template_pre(er.content_template, er.template_ok, wo.order_number, er.code, er.name) AS pre
        FROM task_sync.work_order_process wop
        JOIN effective_rule er ON er.process_id = wop.process_id
        JOIN wo ON wo.id = wop.work_order_id
        WHERE wop.work_order_id = ANY (p_work_order_ids)
    ),
    source AS MATERIALIZED (
        -- every kind read the same way: built from the registry of kinds (_source_view_build)
        SELECT s.work_order_id, s.source_kind AS kind, s.source_id, s.name, s.quantity
        FROM task_sync_internal._sources(p_work_order_ids) s
    )
    SELECT rt.work_order_id, rt.id, rt.code, rt.task_type, rt.source_kind, s.source_id,
           task_sync_internal._content_from_pre(rt.pre, rt.content_template, wo.order_number, rt.code, rt.name, s.name),
           CASE rt.quantity_source
               WHEN 'one' THEN 1
               WHEN 'work_order' THEN coalesce(wo.production_quantity, 0)
               ELSE s.quantity
           END
    FROM route rt
    JOIN source s ON s.work_order_id = rt.work_order_id AND s.kind = rt.source_kind
    JOIN wo ON wo.id = rt.work_order_id
$$;

COMMENT ON FUNCTION task_sync_internal._desired(bigint[]) IS
    'The desired generated tasks of these work orders, computed from the rules and the current inputs';


-- sync_changes as revision 0004_kinds made it
CREATE OR REPLACE VIEW task_sync.sync_changes AS
    SELECT i.sync_run_id, s.ran_at, i.work_order_id, w.order_number, i.action, i.task_id, i.process_code,
           i.task_type, i.source_kind, i.source_id,
           concat_ws('; ',
               CASE WHEN i.action = 'add' THEN
                   format('added: %s, quantity %s', i.work_content, i.production_quantity) END,
               CASE WHEN i.action = 'remove' THEN
                   format('removed: %s, quantity %s', i.previous_work_content, i.previous_production_quantity) END,
               CASE WHEN i.action IN ('update', 'conflict') AND i.work_content IS DISTINCT FROM i.previous_work_content
                    THEN format('work content: %s -> %s', i.previous_work_content, i.work_content) END,
               CASE WHEN i.action IN ('update', 'conflict')
                         AND i.production_quantity IS DISTINCT FROM i.previous_production_quantity
                    THEN format('quantity: %s -> %s', i.previous_production_quantity, i.production_quantity) END,
               CASE WHEN i.action = 'conflict' THEN 'the planner''s values kept; the rules changed too' END,
               CASE WHEN i.restored THEN 're-added a draft a planner had deleted' END,
               CASE WHEN i.overwritten THEN 'overwrote the planner''s values' END) AS change
    FROM task_sync.sync_item i
    JOIN task_sync.sync_run s ON s.work_order_id = i.work_order_id AND s.id = i.sync_run_id
    LEFT JOIN task_sync.work_order w ON w.id = i.work_order_id;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
