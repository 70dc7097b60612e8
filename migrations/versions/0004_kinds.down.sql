-- 0004_kinds down: back to the seven kinds as CHECK lists. Refused, with nothing changed, while a
-- kind made by create_source_kind exists (drop it first with task_sync.drop_source_kind).
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

DO $check$
DECLARE
    v_kinds text;
BEGIN
    SELECT string_agg(k.kind, ', ' ORDER BY k.kind) INTO v_kinds FROM task_sync.source_kind k WHERE NOT k.built_in;
    IF v_kinds IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC06',
            MESSAGE = format('source kinds made by create_source_kind exist: %s', v_kinds),
            HINT = 'Drop them with task_sync.drop_source_kind (after their rules and tasks), then downgrade again.';
    END IF;
END
$check$;

DROP VIEW task_sync.sync_changes;
DROP VIEW task_sync.sync_history;

ALTER TABLE task_sync.task
    DROP CONSTRAINT task__source_kind_fkey,
    ADD CONSTRAINT task__source_kind_check CHECK (source_kind IN
        ('work_order', 'artwork', 'die', 'foiling_plate', 'embossing_plate', 'material', 'product'));
DROP TRIGGER generation_rule__check_quantity ON task_sync.generation_rule;
ALTER TABLE task_sync.generation_rule
    DROP CONSTRAINT generation_rule__source_kind_fkey,
    ADD CONSTRAINT generation_rule__source_kind_check CHECK (source_kind IN
        ('work_order', 'artwork', 'die', 'foiling_plate', 'embossing_plate', 'material', 'product')),
    ADD CONSTRAINT generation_rule__quantity_source_source_kind_check
        CHECK (quantity_source <> 'source' OR source_kind IN ('material', 'product'));

CREATE OR REPLACE FUNCTION task_sync._desired(p_work_order_ids bigint[])
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
               r.content_template, task_sync._template_ok(r.content_template) AS template_ok
        FROM task_sync.process p
        JOIN task_sync.generation_rule r ON r.process_code = p.code
        UNION ALL
        SELECT p.id, p.code, p.name, r.source_kind, r.task_type, r.quantity_source, r.content_template,
               task_sync._template_ok(r.content_template)
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
               task_sync._template_pre(er.content_template, er.template_ok, wo.order_number, er.code, er.name) AS pre
        FROM task_sync.work_order_process wop
        JOIN effective_rule er ON er.process_id = wop.process_id
        JOIN wo ON wo.id = wop.work_order_id
        WHERE wop.work_order_id = ANY (p_work_order_ids)
    ),
    source AS MATERIALIZED (
        SELECT wo.id AS work_order_id, 'work_order'::text AS kind, wo.id AS source_id,
               wo.order_number AS name, NULL::integer AS quantity
        FROM wo
        UNION ALL
        SELECT l.work_order_id, 'artwork', l.artwork_id, c.name, NULL
        FROM task_sync.work_order_artwork l JOIN task_sync.artwork c ON c.id = l.artwork_id
        WHERE l.work_order_id = ANY (p_work_order_ids)
        UNION ALL
        SELECT l.work_order_id, 'die', l.die_id, c.name, NULL
        FROM task_sync.work_order_die l JOIN task_sync.die c ON c.id = l.die_id
        WHERE l.work_order_id = ANY (p_work_order_ids)
        UNION ALL
        SELECT l.work_order_id, 'foiling_plate', l.foiling_plate_id, c.name, NULL
        FROM task_sync.work_order_foiling_plate l JOIN task_sync.foiling_plate c ON c.id = l.foiling_plate_id
        WHERE l.work_order_id = ANY (p_work_order_ids)
        UNION ALL
        SELECT l.work_order_id, 'embossing_plate', l.embossing_plate_id, c.name, NULL
        FROM task_sync.work_order_embossing_plate l JOIN task_sync.embossing_plate c ON c.id = l.embossing_plate_id
        WHERE l.work_order_id = ANY (p_work_order_ids)
        UNION ALL
        SELECT l.work_order_id, 'material', l.id, c.name, l.quantity
        FROM task_sync.work_order_material l JOIN task_sync.material c ON c.id = l.material_id
        WHERE l.work_order_id = ANY (p_work_order_ids) AND l.need_cutting
        UNION ALL
        SELECT l.work_order_id, 'product', l.id, c.name, l.quantity
        FROM task_sync.work_order_product l JOIN task_sync.product c ON c.id = l.product_id
        WHERE l.work_order_id = ANY (p_work_order_ids)
    )
    SELECT rt.work_order_id, rt.id, rt.code, rt.task_type, rt.source_kind, s.source_id,
           task_sync._content_from_pre(rt.pre, rt.content_template, wo.order_number, rt.code, rt.name, s.name),
           CASE rt.quantity_source
               WHEN 'one' THEN 1
               WHEN 'work_order' THEN coalesce(wo.production_quantity, 0)
               ELSE s.quantity
           END
    FROM route rt
    JOIN source s ON s.work_order_id = rt.work_order_id AND s.kind = rt.source_kind
    JOIN wo ON wo.id = rt.work_order_id
$$;

COMMENT ON FUNCTION task_sync._desired(bigint[]) IS
    'The desired generated tasks of these work orders, computed from the rules and the current inputs';

DROP FUNCTION task_sync.plan_pending(integer);
DROP FUNCTION task_sync.tg_generation_rule__check_quantity();
DROP FUNCTION task_sync.drop_source_kind(text);
DROP FUNCTION task_sync.create_source_kind(text, boolean);
DROP FUNCTION task_sync._source_kind_dress(text);
DROP FUNCTION task_sync._source_view_build();
DROP FUNCTION task_sync._ident(text);
DROP VIEW task_sync.work_order_source;
DROP TABLE task_sync.source_kind;

COMMENT ON TABLE task_sync.artwork IS NULL;
COMMENT ON COLUMN task_sync.artwork.id IS NULL;
COMMENT ON COLUMN task_sync.artwork.code IS NULL;
COMMENT ON COLUMN task_sync.artwork.name IS NULL;
COMMENT ON TABLE task_sync.work_order_artwork IS NULL;
COMMENT ON COLUMN task_sync.work_order_artwork.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.work_order_artwork.artwork_id IS NULL;
COMMENT ON TABLE task_sync.die IS NULL;
COMMENT ON COLUMN task_sync.die.id IS NULL;
COMMENT ON COLUMN task_sync.die.code IS NULL;
COMMENT ON COLUMN task_sync.die.name IS NULL;
COMMENT ON TABLE task_sync.work_order_die IS NULL;
COMMENT ON COLUMN task_sync.work_order_die.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.work_order_die.die_id IS NULL;
COMMENT ON TABLE task_sync.foiling_plate IS NULL;
COMMENT ON COLUMN task_sync.foiling_plate.id IS NULL;
COMMENT ON COLUMN task_sync.foiling_plate.code IS NULL;
COMMENT ON COLUMN task_sync.foiling_plate.name IS NULL;
COMMENT ON TABLE task_sync.work_order_foiling_plate IS NULL;
COMMENT ON COLUMN task_sync.work_order_foiling_plate.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.work_order_foiling_plate.foiling_plate_id IS NULL;
COMMENT ON TABLE task_sync.embossing_plate IS NULL;
COMMENT ON COLUMN task_sync.embossing_plate.id IS NULL;
COMMENT ON COLUMN task_sync.embossing_plate.code IS NULL;
COMMENT ON COLUMN task_sync.embossing_plate.name IS NULL;
COMMENT ON TABLE task_sync.work_order_embossing_plate IS NULL;
COMMENT ON COLUMN task_sync.work_order_embossing_plate.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.work_order_embossing_plate.embossing_plate_id IS NULL;
COMMENT ON TABLE task_sync.material IS NULL;
COMMENT ON COLUMN task_sync.material.id IS NULL;
COMMENT ON COLUMN task_sync.material.code IS NULL;
COMMENT ON COLUMN task_sync.material.name IS NULL;
COMMENT ON TABLE task_sync.work_order_material IS NULL;
COMMENT ON COLUMN task_sync.work_order_material.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.work_order_material.material_id IS NULL;
COMMENT ON COLUMN task_sync.work_order_material.id IS NULL;
COMMENT ON COLUMN task_sync.work_order_material.quantity IS NULL;
COMMENT ON TABLE task_sync.product IS NULL;
COMMENT ON COLUMN task_sync.product.id IS NULL;
COMMENT ON COLUMN task_sync.product.code IS NULL;
COMMENT ON COLUMN task_sync.product.name IS NULL;
COMMENT ON TABLE task_sync.work_order_product IS NULL;
COMMENT ON COLUMN task_sync.work_order_product.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.work_order_product.product_id IS NULL;
COMMENT ON COLUMN task_sync.work_order_product.id IS NULL;
COMMENT ON COLUMN task_sync.work_order_product.quantity IS NULL;
COMMENT ON COLUMN task_sync.work_order_material.need_cutting IS NULL;
COMMENT ON COLUMN task_sync.process.id IS NULL;
COMMENT ON COLUMN task_sync.process.code IS NULL;
COMMENT ON COLUMN task_sync.process.name IS NULL;
COMMENT ON COLUMN task_sync.generation_rule.id IS NULL;
COMMENT ON COLUMN task_sync.generation_rule.process_code IS NULL;
COMMENT ON COLUMN task_sync.generation_rule.source_kind IS NULL;
COMMENT ON COLUMN task_sync.generation_rule.task_type IS NULL;
COMMENT ON COLUMN task_sync.generation_rule.quantity_source IS NULL;
COMMENT ON COLUMN task_sync.generation_rule.content_template IS NULL;
COMMENT ON COLUMN task_sync.work_order.id IS NULL;
COMMENT ON COLUMN task_sync.work_order.order_number IS NULL;
COMMENT ON COLUMN task_sync.work_order.production_quantity IS NULL;
COMMENT ON COLUMN task_sync.work_order.status IS NULL;
COMMENT ON COLUMN task_sync.work_order.approval_status IS NULL;
COMMENT ON COLUMN task_sync.work_order.synced_version IS NULL;
COMMENT ON COLUMN task_sync.work_order.created_at IS NULL;
COMMENT ON COLUMN task_sync.work_order_mark.id IS NULL;
COMMENT ON COLUMN task_sync.work_order_mark.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.work_order_mark.xact IS NULL;
COMMENT ON COLUMN task_sync.work_order_mark.marked_at IS NULL;
COMMENT ON COLUMN task_sync.work_order_process.id IS NULL;
COMMENT ON COLUMN task_sync.work_order_process.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.work_order_process.process_id IS NULL;
COMMENT ON COLUMN task_sync.work_order_process.sequence IS NULL;
COMMENT ON COLUMN task_sync.task.id IS NULL;
COMMENT ON COLUMN task_sync.task.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.task.work_order_process_id IS NULL;
COMMENT ON COLUMN task_sync.task.status IS NULL;
COMMENT ON COLUMN task_sync.task.origin IS NULL;
COMMENT ON COLUMN task_sync.task.task_type IS NULL;
COMMENT ON COLUMN task_sync.task.source_kind IS NULL;
COMMENT ON COLUMN task_sync.task.source_id IS NULL;
COMMENT ON COLUMN task_sync.task.work_content IS NULL;
COMMENT ON COLUMN task_sync.task.production_quantity IS NULL;
COMMENT ON COLUMN task_sync.task.quantity_completed IS NULL;
COMMENT ON COLUMN task_sync.task.created_at IS NULL;
COMMENT ON COLUMN task_sync.task_dismissal.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.task_dismissal.work_order_process_id IS NULL;
COMMENT ON COLUMN task_sync.task_dismissal.task_type IS NULL;
COMMENT ON COLUMN task_sync.task_dismissal.source_kind IS NULL;
COMMENT ON COLUMN task_sync.task_dismissal.source_id IS NULL;
COMMENT ON COLUMN task_sync.task_dismissal.task_id IS NULL;
COMMENT ON COLUMN task_sync.task_dismissal.dismissed_at IS NULL;
COMMENT ON COLUMN task_sync.task_dismissal.dismissed_by IS NULL;
COMMENT ON COLUMN task_sync.sync_run.id IS NULL;
COMMENT ON COLUMN task_sync.sync_run.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.sync_run.ran_at IS NULL;
COMMENT ON COLUMN task_sync.sync_run.run_by IS NULL;
COMMENT ON COLUMN task_sync.sync_run.application_name IS NULL;
COMMENT ON COLUMN task_sync.sync_run.via IS NULL;
COMMENT ON COLUMN task_sync.sync_run.plan_hash IS NULL;
COMMENT ON COLUMN task_sync.sync_run.from_version IS NULL;
COMMENT ON COLUMN task_sync.sync_run.to_version IS NULL;
COMMENT ON COLUMN task_sync.sync_run.overwrite_edits IS NULL;
COMMENT ON COLUMN task_sync.sync_run.restore_dismissed IS NULL;
COMMENT ON COLUMN task_sync.sync_run.added IS NULL;
COMMENT ON COLUMN task_sync.sync_run.removed IS NULL;
COMMENT ON COLUMN task_sync.sync_run.updated IS NULL;
COMMENT ON COLUMN task_sync.sync_run.conflicts IS NULL;
COMMENT ON COLUMN task_sync.sync_item.sync_run_id IS NULL;
COMMENT ON COLUMN task_sync.sync_item.work_order_id IS NULL;
COMMENT ON COLUMN task_sync.sync_item.task_id IS NULL;
COMMENT ON COLUMN task_sync.sync_item.work_order_process_id IS NULL;
COMMENT ON COLUMN task_sync.sync_item.process_code IS NULL;
COMMENT ON COLUMN task_sync.sync_item.task_type IS NULL;
COMMENT ON COLUMN task_sync.sync_item.source_kind IS NULL;
COMMENT ON COLUMN task_sync.sync_item.source_id IS NULL;
COMMENT ON COLUMN task_sync.sync_item.work_content IS NULL;
COMMENT ON COLUMN task_sync.sync_item.production_quantity IS NULL;
COMMENT ON COLUMN task_sync.sync_item.previous_work_content IS NULL;
COMMENT ON COLUMN task_sync.sync_item.previous_production_quantity IS NULL;
COMMENT ON COLUMN task_sync.applying.xact IS NULL;

-- the public functions' comments as they were
COMMENT ON FUNCTION task_sync.preview(bigint, boolean, boolean) IS
    'What execute with the same flags would do to the work order, item by item, with its plan_hash; changes nothing';

COMMENT ON FUNCTION task_sync.plan(bigint, boolean, boolean) IS
    'The plan of a work order as rows (the items of preview with the same flags), for psql';

COMMENT ON FUNCTION task_sync.execute(bigint, boolean, text, boolean, boolean) IS
    'Syncs one work order atomically; refuses a stale plan (TSC02) when given the previewed plan_hash';

COMMENT ON FUNCTION task_sync.check_sync_needed(bigint) IS 'True when the work order''s inputs changed since its last sync';

COMMENT ON FUNCTION task_sync.pending(integer) IS 'Work orders that need a sync and may be synced, longest waiting first';

COMMENT ON FUNCTION task_sync.sync_pending(integer) IS
    'Syncs pending work orders set-based, never waiting: what another session holds stays pending';

COMMENT ON FUNCTION task_sync.repair_marks() IS
    'Marks every work order whose plan has something to do but that is not pending (after trigger-less loads); returns the count';

