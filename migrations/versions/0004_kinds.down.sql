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

DROP FUNCTION task_sync.plan_pending(integer);
DROP FUNCTION task_sync.drop_source_kind(text);
DROP FUNCTION task_sync.create_source_kind(text, boolean);
DROP FUNCTION task_sync_internal.tg_generation_rule__check_quantity();
DROP FUNCTION task_sync_internal._source_kind_dress(text);
DROP FUNCTION task_sync_internal._source_view_build();
DROP FUNCTION task_sync_internal._ident(text);

-- the helpers and trigger functions back to task_sync, with their bodies as they were
ALTER FUNCTION task_sync_internal._check_work_order_id(bigint) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._content_tokens(text,text,text,text,text) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._content(text,text,text,text,text) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._desired(bigint[]) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._field_outcome(text,text,text) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._field_outcome(integer,integer,integer) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._mark(bigint[]) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._may_sync(text,text) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._plan_hash(task_sync.plan_row[]) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._work_order(bigint) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal.tg_catalog__mark() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal.tg_generation_rule__mark() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal.tg_task__dismiss() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal.tg_work_order__mark() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal.tg_work_order_input__mark() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal.tg_work_order_process__forget_dismissals() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal.tg_work_order_process__guard_formal() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._require_read_committed(text) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._dismiss(task_sync.task[]) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal.tg_task__mark() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal.tg_any__mark_truncate() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal.tg_work_order__forget_marks() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._check_flags(boolean,boolean) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._caller() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._applying() SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._template_ok(text) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._template_pre(text,boolean,text,text,text) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._content_from_pre(text,text,text,text,text,text) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._field_write(text,text,text,boolean) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._field_write(integer,integer,integer,boolean) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._items(task_sync.plan_row[]) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._plan_hashes(task_sync.plan_row[]) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._plan_rows(bigint[],boolean,boolean) SET SCHEMA task_sync;
ALTER FUNCTION task_sync_internal._apply(bigint[],task_sync.plan_row[],boolean,boolean,text,bigint[],text) SET SCHEMA task_sync;

CREATE OR REPLACE FUNCTION task_sync._apply(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
    p_restore_dismissed boolean, p_via text, p_marks bigint[], p_plan_hash text DEFAULT NULL)
RETURNS TABLE (
    work_order_id   bigint,
    sync_run_id     bigint,
    plan_hash       text,
    added           integer,
    removed         integer,
    updated         integer,
    conflicts       integer,
    synced_version  bigint
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO task_sync.applying (xact) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT * FROM unnest(p_rows)
    ),
    wo AS MATERIALIZED (
        -- the state before this statement's writes (one snapshot for the whole statement)
        SELECT w.id, w.synced_version
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
    ),
    taken AS (
        DELETE FROM task_sync.work_order_mark m
        WHERE m.work_order_id = ANY (p_work_order_ids) AND m.id = ANY (p_marks)
        RETURNING m.work_order_id
    ),
    taken_per_wo AS (
        SELECT taken.work_order_id, count(*) AS n FROM taken GROUP BY taken.work_order_id
    ),
    del AS (
        DELETE FROM task_sync.task t
        USING r
        WHERE r.action = 'remove'
          AND t.work_order_id = ANY (p_work_order_ids)
          AND t.work_order_id = r.work_order_id AND t.id = r.task_id
          AND t.status = 'draft' AND t.origin = 'generated'
        RETURNING r.*
    ),
    ins AS (
        INSERT INTO task_sync.task AS t (
            work_order_id, work_order_process_id, status, origin, task_type, source_kind, source_id,
            work_content, production_quantity, generated_work_content, generated_production_quantity)
        SELECT r.work_order_id, r.work_order_process_id, 'draft', 'generated', r.task_type, r.source_kind,
               r.source_id, r.desired_work_content, r.desired_production_quantity,
               r.desired_work_content, r.desired_production_quantity
        FROM r
        WHERE r.action = 'add'
        -- a generated task with this key that appeared since the plan was read satisfies it
        ON CONFLICT (work_order_id, work_order_process_id, task_type, source_kind, source_id)
            WHERE origin = 'generated' DO NOTHING
        RETURNING t.id, t.work_order_id, t.work_order_process_id, t.task_type, t.source_kind, t.source_id
    ),
    upd AS (
        UPDATE task_sync.task t SET
            -- three ways, on the row as it is now (_field_write): a field still at its baseline takes
            -- the rule value; an edited field keeps the planner's value unless told to overwrite a conflict
            work_content = task_sync._field_write(
                t.work_content, t.generated_work_content, r.desired_work_content, p_overwrite_edits),
            production_quantity = task_sync._field_write(
                t.production_quantity, t.generated_production_quantity, r.desired_production_quantity,
                p_overwrite_edits),
            generated_work_content = r.desired_work_content,
            generated_production_quantity = r.desired_production_quantity
        FROM r
        WHERE (r.action IN ('update', 'conflict')
               -- a kept draft is written only when its baseline moves (the engine alone writes
               -- baselines, under the work order's lock, so the plan's baseline is the row's)
               OR (r.action = 'keep'
                   AND (r.baseline_work_content IS DISTINCT FROM r.desired_work_content
                        OR r.baseline_production_quantity IS DISTINCT FROM r.desired_production_quantity)))
          AND t.work_order_id = ANY (p_work_order_ids)
          AND t.work_order_id = r.work_order_id AND t.id = r.task_id
          AND t.status = 'draft' AND t.origin = 'generated'
          AND (t.generated_work_content IS DISTINCT FROM r.desired_work_content
               OR t.generated_production_quantity IS DISTINCT FROM r.desired_production_quantity)
        RETURNING r.*, t.work_content AS new_work_content, t.production_quantity AS new_production_quantity
    ),
    forgotten AS (
        -- side effect only, like versions and items below (nothing reads them: PostgreSQL runs every
        -- data-modifying WITH statement to completion, read or not).
        -- Forget dismissals whose key the plan does not desire, and the ones restored; a key the
        -- plan desires keeps its dismissal even when the plan saw its draft (as keep, update or
        -- conflict): a planner may have deleted that draft after the plan was read
        DELETE FROM task_sync.task_dismissal x
        WHERE x.work_order_id = ANY (p_work_order_ids)
          AND NOT EXISTS (
              SELECT FROM r
              WHERE r.action IN ('add', 'dismissed', 'update', 'conflict', 'keep')
                AND NOT r.restored
                AND r.work_order_id = x.work_order_id AND r.work_order_process_id = x.work_order_process_id
                AND r.task_type = x.task_type AND r.source_kind = x.source_kind AND r.source_id = x.source_id)
    ),
    applied AS (
        -- the itemised changes, as the audit records them (sync_item): the values before and after
        SELECT del.work_order_id, del.task_id, 'remove' AS action, del.work_order_process_id, del.process_code,
               del.task_type, del.source_kind, del.source_id,
               NULL::text AS work_content, NULL::integer AS production_quantity,
               del.current_work_content AS previous_work_content,
               del.current_production_quantity AS previous_production_quantity,
               false AS restored, false AS overwritten
        FROM del
        UNION ALL
        SELECT ins.work_order_id, ins.id, 'add', r.work_order_process_id, r.process_code,
               r.task_type, r.source_kind, r.source_id,
               r.desired_work_content, r.desired_production_quantity, NULL, NULL, r.restored, false
        FROM ins
        JOIN r ON r.work_order_id = ins.work_order_id AND r.work_order_process_id = ins.work_order_process_id
              AND r.task_type = ins.task_type AND r.source_kind = ins.source_kind AND r.source_id = ins.source_id
              AND r.action = 'add'
        UNION ALL
        -- labelled as the plan labels it (a draft with a conflict in one field and an update in the
        -- other is a conflict; with p_overwrite_edits it is an update), so that execute's counts
        -- are its preview's summary; the values before and after say what was written
        SELECT upd.work_order_id, upd.task_id, upd.action,
               upd.work_order_process_id, upd.process_code, upd.task_type, upd.source_kind, upd.source_id,
               upd.new_work_content, upd.new_production_quantity,
               upd.current_work_content, upd.current_production_quantity, false, upd.overwritten
        FROM upd
        WHERE upd.action <> 'keep'
    ),
    hashes AS (
        SELECT h.work_order_id, h.plan_hash
        FROM task_sync._plan_hashes(p_rows) AS h
        WHERE p_plan_hash IS NULL
    ),
    tallies AS (
        SELECT a.work_order_id,
               count(*) FILTER (WHERE a.action = 'add')::integer AS n_add,
               count(*) FILTER (WHERE a.action = 'remove')::integer AS n_remove,
               count(*) FILTER (WHERE a.action = 'update')::integer AS n_update,
               count(*) FILTER (WHERE a.action = 'conflict')::integer AS n_conflict
        FROM applied a
        GROUP BY a.work_order_id
    ),
    per_wo AS (
        SELECT wo.id, wo.synced_version AS from_version,
               wo.synced_version + coalesce(tk.n, 0) AS to_version,
               coalesce(p_plan_hash, h.plan_hash, task_sync._plan_hash('{}')) AS plan_hash,
               coalesce(t.n_add, 0) AS n_add, coalesce(t.n_remove, 0) AS n_remove,
               coalesce(t.n_update, 0) AS n_update, coalesce(t.n_conflict, 0) AS n_conflict
        FROM wo
        LEFT JOIN hashes h ON h.work_order_id = wo.id
        LEFT JOIN tallies t ON t.work_order_id = wo.id
        LEFT JOIN taken_per_wo tk ON tk.work_order_id = wo.id
    ),
    versions AS (
        -- side effect only: the marks taken in raise synced_version
        UPDATE task_sync.work_order w
        SET synced_version = p.to_version
        FROM per_wo p
        WHERE w.id = ANY (p_work_order_ids) AND w.id = p.id AND p.to_version <> p.from_version
    ),
    runs AS (
        INSERT INTO task_sync.sync_run AS s (
            work_order_id, run_by, application_name, via, plan_hash, from_version, to_version,
            overwrite_edits, restore_dismissed, added, removed, updated, conflicts)
        SELECT p.id, task_sync._caller(), current_setting('application_name'), p_via, p.plan_hash, p.from_version,
               p.to_version, p_overwrite_edits, p_restore_dismissed, p.n_add, p.n_remove, p.n_update, p.n_conflict
        FROM per_wo p
        WHERE p.from_version <> p.to_version OR p.n_add + p.n_remove + p.n_update + p.n_conflict > 0
        RETURNING s.id, s.work_order_id
    ),
    items AS (
        -- side effect only: the audit's items
        INSERT INTO task_sync.sync_item (
            sync_run_id, work_order_id, task_id, action, work_order_process_id, process_code, task_type,
            source_kind, source_id, work_content, production_quantity, previous_work_content,
            previous_production_quantity, restored, overwritten)
        SELECT runs.id, a.work_order_id, a.task_id, a.action, a.work_order_process_id, a.process_code, a.task_type,
               a.source_kind, a.source_id, a.work_content, a.production_quantity, a.previous_work_content,
               a.previous_production_quantity, a.restored, a.overwritten
        FROM applied a
        JOIN runs ON runs.work_order_id = a.work_order_id
    )
    SELECT p.id, runs.id, p.plan_hash, p.n_add, p.n_remove, p.n_update, p.n_conflict, p.to_version
    FROM per_wo p
    LEFT JOIN runs ON runs.work_order_id = p.id
    ORDER BY p.id;
    DELETE FROM task_sync.applying a WHERE a.xact = pg_current_xact_id();
END
$$;

COMMENT ON FUNCTION task_sync._apply(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text) IS
    'Applies a computed plan to these work orders in one statement and writes their sync_run rows';

CREATE OR REPLACE FUNCTION task_sync._applying()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM task_sync.applying a WHERE a.xact = pg_current_xact_id_if_assigned())
$$;

COMMENT ON FUNCTION task_sync._applying() IS 'True while a sync of this transaction is writing (engine only)';

CREATE OR REPLACE FUNCTION task_sync._caller()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- standard SQL body: bound when created
RETURN CASE pg_catalog.current_setting('role')
    WHEN 'none' THEN session_user::text
    ELSE pg_catalog.current_setting('role')
END;

COMMENT ON FUNCTION task_sync._caller() IS
    'The role the session acts as (SET ROLE, else the session user): who called a SECURITY DEFINER function';

CREATE OR REPLACE FUNCTION task_sync._check_flags(p_overwrite_edits boolean, p_restore_dismissed boolean)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_overwrite_edits IS NULL OR p_restore_dismissed IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = 'p_overwrite_edits and p_restore_dismissed must be true or false, not NULL';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync._check_flags(boolean, boolean) IS 'Raises TSV01 when a sync flag is NULL';

CREATE OR REPLACE FUNCTION task_sync._check_work_order_id(p_work_order_id bigint)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_work_order_id IS NULL OR p_work_order_id <= 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid work order id: %s', coalesce(p_work_order_id::text, 'NULL')),
            HINT = 'A work order id is a positive bigint.';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync._check_work_order_id(bigint) IS 'Raises TSV01 for a null or non-positive work order id';

CREATE OR REPLACE FUNCTION task_sync._content_tokens(
    p_template text, p_order_number text, p_process_code text, p_process_name text, p_source_name text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(string_agg(
               CASE m.match[1]
                   WHEN '{order_number}' THEN coalesce(p_order_number, '')
                   WHEN '{process_code}' THEN coalesce(p_process_code, '')
                   WHEN '{process_name}' THEN coalesce(p_process_name, '')
                   WHEN '{source_name}'  THEN coalesce(p_source_name, '')
                   ELSE m.match[1]
               END, '' ORDER BY m.ord), '')
    FROM regexp_matches(p_template,
             '\{(?:order_number|process_code|process_name|source_name)\}|[^{]+|\{', 'g')
             WITH ORDINALITY AS m(match, ord)
$$;

COMMENT ON FUNCTION task_sync._content_tokens(text, text, text, text, text) IS
    'work_content of a rule template, general case: placeholders substituted token by token';

CREATE OR REPLACE FUNCTION task_sync._template_ok(p_template text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- A standard SQL body is bound when created (names resolved then, not by the caller's
-- search_path) and, unlike a function with a SET clause, is inlined into the calling query.
RETURN strpos(regexp_replace(p_template,
           '\{(?:order_number|process_code|process_name|source_name)\}', '', 'g'), '{') = 0;

COMMENT ON FUNCTION task_sync._template_ok(text) IS
    'True when a rule template has no ''{'' outside its placeholders (the fast path of _template_pre applies)';

CREATE OR REPLACE FUNCTION task_sync._template_pre(
    p_template text, p_template_ok boolean, p_order_number text, p_process_code text, p_process_name text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body, inlined (see _template_ok)
RETURN CASE
    WHEN strpos(p_template, '{') = 0 THEN p_template
    WHEN p_template_ok AND strpos(concat(p_order_number, p_process_code, p_process_name), '{') = 0
    THEN replace(replace(replace(p_template,
                '{order_number}', coalesce(p_order_number, '')),
                '{process_code}', coalesce(p_process_code, '')),
                '{process_name}', coalesce(p_process_name, ''))
END;

COMMENT ON FUNCTION task_sync._template_pre(text, boolean, text, text, text) IS
    'A rule template with the work order''s and process''s values substituted (NULL when only _content_tokens is exact)';

CREATE OR REPLACE FUNCTION task_sync._content_from_pre(
    p_pre text, p_template text, p_order_number text, p_process_code text, p_process_name text,
    p_source_name text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body, inlined (see _template_pre)
RETURN coalesce(
    replace(p_pre, '{source_name}', coalesce(p_source_name, '')),
    task_sync._content_tokens(p_template, p_order_number, p_process_code, p_process_name, p_source_name));

COMMENT ON FUNCTION task_sync._content_from_pre(text, text, text, text, text, text) IS
    'work_content from a template _template_pre resolved: the per-task step';

CREATE OR REPLACE FUNCTION task_sync._content(
    p_template text, p_order_number text, p_process_code text, p_process_name text, p_source_name text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body, inlined (see _template_pre)
RETURN task_sync._content_from_pre(
    task_sync._template_pre(p_template, task_sync._template_ok(p_template), p_order_number, p_process_code,
                            p_process_name),
    p_template, p_order_number, p_process_code, p_process_name, p_source_name);

COMMENT ON FUNCTION task_sync._content(text, text, text, text, text) IS
    'work_content of a rule template: placeholders substituted in one pass';

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

CREATE OR REPLACE FUNCTION task_sync._dismiss(p_tasks task_sync.task[])
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO task_sync.task_dismissal
        (work_order_id, work_order_process_id, task_type, source_kind, source_id, task_id, dismissed_by)
    SELECT o.work_order_id, o.work_order_process_id, o.task_type, o.source_kind, o.source_id, o.id,
           task_sync._caller()
    FROM unnest(p_tasks) AS o
    WHERE o.origin = 'generated' AND o.work_order_process_id IS NOT NULL
      AND EXISTS (SELECT FROM task_sync.work_order_process p
                  WHERE p.work_order_id = o.work_order_id AND p.id = o.work_order_process_id)
    ON CONFLICT DO NOTHING;
$$;

COMMENT ON FUNCTION task_sync._dismiss(task_sync.task[]) IS
    'Records deleted or taken-over generated tasks as dismissals';

CREATE OR REPLACE FUNCTION task_sync._field_outcome(p_current text, p_baseline text, p_desired text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body: bound when created, inlined into the planner's query (a standard body
-- cannot be polymorphic, hence one overload per field type)
RETURN CASE
    WHEN p_current IS NOT DISTINCT FROM p_desired THEN 'same'
    WHEN p_current IS NOT DISTINCT FROM p_baseline THEN 'update'
    WHEN p_desired IS NOT DISTINCT FROM p_baseline THEN 'edited'
    ELSE 'conflict'
END;

COMMENT ON FUNCTION task_sync._field_outcome(text, text, text) IS
    'Three-way outcome of one generated field: same, update, edited or conflict';

CREATE OR REPLACE FUNCTION task_sync._field_outcome(p_current integer, p_baseline integer, p_desired integer)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body: bound when created, inlined into the planner's query (a standard body
-- cannot be polymorphic, hence one overload per field type)
RETURN CASE
    WHEN p_current IS NOT DISTINCT FROM p_desired THEN 'same'
    WHEN p_current IS NOT DISTINCT FROM p_baseline THEN 'update'
    WHEN p_desired IS NOT DISTINCT FROM p_baseline THEN 'edited'
    ELSE 'conflict'
END;

COMMENT ON FUNCTION task_sync._field_outcome(integer, integer, integer) IS
    'Three-way outcome of one generated field: same, update, edited or conflict';

-- task_sync._field_write(p_current text, p_baseline text, p_desired text, p_overwrite boolean) -> text
-- task_sync._field_write(p_current integer, p_baseline integer, p_desired integer, p_overwrite boolean) -> integer
-- The value a sync leaves in one generated field of a draft that is still desired, by its
-- _field_outcome: update takes the rule value, conflict keeps the planner's (the rule value when
-- p_overwrite), same and edited keep what the field holds. _apply writes with it, on the row as
-- it is at the write, so the three-way rule lives here and in _field_outcome only.

CREATE OR REPLACE FUNCTION task_sync._field_write(p_current text, p_baseline text, p_desired text, p_overwrite boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE task_sync._field_outcome(p_current, p_baseline, p_desired)
    WHEN 'update' THEN p_desired
    WHEN 'conflict' THEN CASE WHEN p_overwrite THEN p_desired ELSE p_current END
    ELSE p_current
END;

COMMENT ON FUNCTION task_sync._field_write(text, text, text, boolean) IS
    'The value a sync leaves in one generated field, by its three-way outcome';

CREATE OR REPLACE FUNCTION task_sync._field_write(p_current integer, p_baseline integer, p_desired integer, p_overwrite boolean)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE task_sync._field_outcome(p_current, p_baseline, p_desired)
    WHEN 'update' THEN p_desired
    WHEN 'conflict' THEN CASE WHEN p_overwrite THEN p_desired ELSE p_current END
    ELSE p_current
END;

COMMENT ON FUNCTION task_sync._field_write(integer, integer, integer, boolean) IS
    'The value a sync leaves in one generated field, by its three-way outcome';

CREATE OR REPLACE FUNCTION task_sync._items(p_rows task_sync.plan_row[])
RETURNS TABLE (ord bigint, r task_sync.plan_row)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT row_number() OVER (ORDER BY x.work_order_id, x.work_order_process_id NULLS FIRST, x.task_type,
                                       x.source_kind, x.source_id, x.task_id NULLS FIRST, x.action),
           x
    FROM unnest(p_rows) AS x
    WHERE x.action <> 'keep'
$$;

COMMENT ON FUNCTION task_sync._items(task_sync.plan_row[]) IS 'Visible plan items, numbered in canonical order';

CREATE OR REPLACE FUNCTION task_sync._mark(p_work_order_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    IF coalesce(cardinality(p_work_order_ids), 0) = 0 THEN
        RETURN 0;
    END IF;
    WITH added AS (
        INSERT INTO task_sync.work_order_mark (work_order_id)
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
        ORDER BY w.id
        ON CONFLICT (work_order_id, xact) DO NOTHING
        RETURNING work_order_id
    )
    -- a work order marked earlier in this transaction was notified then
    SELECT count(pg_notify('task_sync', added.work_order_id::text)) INTO v_count FROM added;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync._mark(bigint[]) IS
    'Marks these work orders as needing a sync (one mark per transaction) and notifies task_sync';

CREATE OR REPLACE FUNCTION task_sync._may_sync(p_status text, p_approval_status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body: bound when created, inlined into the caller's query
RETURN p_approval_status <> 'approved' AND p_status NOT IN ('completed', 'cancelled');

COMMENT ON FUNCTION task_sync._may_sync(text, text) IS 'True while a work order may be synced';

CREATE OR REPLACE FUNCTION task_sync._plan_hashes(p_rows task_sync.plan_row[])
RETURNS TABLE (work_order_id bigint, plan_hash text)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (i.r).work_order_id,
           encode(sha256(convert_to(string_agg(i.r::text, E'\n' ORDER BY i.ord), 'UTF8')), 'hex')
    FROM task_sync._items(p_rows) AS i
    GROUP BY (i.r).work_order_id
$$;

COMMENT ON FUNCTION task_sync._plan_hashes(task_sync.plan_row[]) IS
    'sha256 of each work order''s visible plan items in canonical order, for a batch';

CREATE OR REPLACE FUNCTION task_sync._plan_hash(p_rows task_sync.plan_row[])
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT encode(sha256(convert_to(coalesce(string_agg(i.r::text, E'\n' ORDER BY i.ord), ''), 'UTF8')), 'hex')
    FROM task_sync._items(p_rows) AS i
$$;

COMMENT ON FUNCTION task_sync._plan_hash(task_sync.plan_row[]) IS
    'sha256 of the visible plan items in canonical order';

CREATE OR REPLACE FUNCTION task_sync._plan_rows(
    p_work_order_ids bigint[], p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS SETOF task_sync.plan_row
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS MATERIALIZED (
        SELECT * FROM task_sync._desired(p_work_order_ids)
    ),
    g AS MATERIALIZED (
        -- generated tasks, draft and formal; wpk is the key's process, 0 once the process is deleted
        SELECT t.id, t.work_order_id, t.work_order_process_id, coalesce(t.work_order_process_id, 0) AS wpk,
               t.task_type, t.source_kind, t.source_id, t.status <> 'draft' AS formal,
               t.work_content, t.production_quantity,
               t.generated_work_content, t.generated_production_quantity
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
        WHERE work_order_id = ANY (p_work_order_ids)
    ),
    add_key AS (
        SELECT * FROM missing_key
        EXCEPT
        SELECT * FROM dismissed_key
    ),
    remove_key AS (
        SELECT work_order_id, wpk, task_type, source_kind, source_id FROM g WHERE NOT formal
        EXCEPT
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id FROM d
    ),
    orphan_key AS (
        SELECT work_order_id, wpk, task_type, source_kind, source_id FROM g WHERE formal
        EXCEPT
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id FROM d
    ),
    missing AS (
        SELECT 'add'::text AS action, k.* FROM add_key k
        UNION ALL
        SELECT 'dismissed', k.* FROM dismissed_key k
    ),
    gone AS (
        SELECT 'remove'::text AS action, k.* FROM remove_key k
        UNION ALL
        SELECT 'orphaned', k.* FROM orphan_key k
    ),
    matched AS (
        SELECT g.*, d.process_code, d.work_content AS desired_work_content,
               d.production_quantity AS desired_production_quantity,
               task_sync._field_outcome(g.work_content, g.generated_work_content, d.work_content) AS wc,
               task_sync._field_outcome(g.production_quantity, g.generated_production_quantity,
                                        d.production_quantity) AS pq
        FROM g
        JOIN d ON d.work_order_id = g.work_order_id AND d.work_order_process_id = g.wpk
              AND d.task_type = g.task_type AND d.source_kind = g.source_kind AND d.source_id = g.source_id
        WHERE NOT g.formal
    )
    -- keys in D with no generated task
    SELECT d.work_order_id,
           CASE WHEN m.action = 'dismissed' AND p_restore_dismissed THEN 'add' ELSE m.action END,
           NULL::bigint, d.work_order_process_id, d.process_code,
           d.task_type, d.source_kind, d.source_id,
           NULL::text, NULL::text, d.work_content,
           NULL::integer, NULL::integer, d.production_quantity,
           false, '{}'::text[], '{}'::text[],
           m.action = 'dismissed' AND p_restore_dismissed, false
    FROM missing m
    JOIN d ON d.work_order_id = m.work_order_id AND d.work_order_process_id = m.work_order_process_id
          AND d.task_type = m.task_type AND d.source_kind = m.source_kind AND d.source_id = m.source_id
    UNION ALL
    -- generated tasks whose key left D
    SELECT g.work_order_id, k.action, g.id, g.work_order_process_id, p.code,
           g.task_type, g.source_kind, g.source_id,
           g.work_content, g.generated_work_content, NULL::text,
           g.production_quantity, g.generated_production_quantity, NULL::integer,
           g.work_content IS DISTINCT FROM g.generated_work_content
               OR g.production_quantity IS DISTINCT FROM g.generated_production_quantity,
           '{}'::text[], '{}'::text[], false, false
    FROM gone k
    JOIN g ON g.work_order_id = k.work_order_id AND g.wpk = k.wpk AND g.task_type = k.task_type
          AND g.source_kind = k.source_kind AND g.source_id = k.source_id
          AND g.formal = (k.action = 'orphaned')
    LEFT JOIN task_sync.work_order_process wop
           ON wop.work_order_id = g.work_order_id AND wop.id = g.work_order_process_id
          AND wop.work_order_id = ANY (p_work_order_ids)   -- bounded scan, also when hashing
    LEFT JOIN task_sync.process p ON p.id = wop.process_id
    UNION ALL
    -- drafts whose key is in D, three ways
    SELECT m.work_order_id,
           CASE WHEN 'conflict' IN (m.wc, m.pq) THEN CASE WHEN p_overwrite_edits THEN 'update' ELSE 'conflict' END
                WHEN 'update' IN (m.wc, m.pq) THEN 'update'
                ELSE 'keep' END,
           m.id, m.work_order_process_id, m.process_code, m.task_type, m.source_kind, m.source_id,
           m.work_content, m.generated_work_content, m.desired_work_content,
           m.production_quantity, m.generated_production_quantity, m.desired_production_quantity,
           m.work_content IS DISTINCT FROM m.generated_work_content
               OR m.production_quantity IS DISTINCT FROM m.generated_production_quantity,
           array_remove(ARRAY[CASE WHEN m.wc = 'update' OR (m.wc = 'conflict' AND p_overwrite_edits)
                                   THEN 'work_content' END,
                              CASE WHEN m.pq = 'update' OR (m.pq = 'conflict' AND p_overwrite_edits)
                                   THEN 'production_quantity' END], NULL),
           array_remove(ARRAY[CASE WHEN m.wc = 'conflict' THEN 'work_content' END,
                              CASE WHEN m.pq = 'conflict' THEN 'production_quantity' END], NULL),
           false,
           p_overwrite_edits AND 'conflict' IN (m.wc, m.pq)
    FROM matched m
$$;

COMMENT ON FUNCTION task_sync._plan_rows(bigint[], boolean, boolean) IS
    'The sync plan of these work orders, unordered, including internal keep lines';

CREATE OR REPLACE FUNCTION task_sync._require_read_committed(p_what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC05',
            MESSAGE = format('%s must run at READ COMMITTED, not %s',
                             p_what, upper(current_setting('transaction_isolation'))),
            DETAIL = 'A snapshot older than the change''s locks could miss work orders it affects.',
            HINT = 'Run it in a transaction of its own: BEGIN ISOLATION LEVEL READ COMMITTED; ...; COMMIT;';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync._require_read_committed(text) IS
    'Raises TSC05 unless the transaction is READ COMMITTED (rule and catalog changes)';

CREATE OR REPLACE FUNCTION task_sync._work_order(p_work_order_id bigint)
RETURNS task_sync.work_order
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_wo task_sync.work_order;
BEGIN
    PERFORM task_sync._check_work_order_id(p_work_order_id);
    SELECT * INTO v_wo FROM task_sync.work_order WHERE id = p_work_order_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSN01',
            MESSAGE = format('work order %s not found', p_work_order_id);
    END IF;
    RETURN v_wo;
END
$$;

COMMENT ON FUNCTION task_sync._work_order(bigint) IS 'The work order row; TSV01 for a bad id, TSN01 when absent';

CREATE OR REPLACE FUNCTION task_sync.check_sync_needed(p_work_order_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync._work_order(p_work_order_id);
    RETURN EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id);
END
$$;

COMMENT ON FUNCTION task_sync.check_sync_needed(bigint) IS 'True when the work order''s inputs changed since its last sync';

CREATE OR REPLACE FUNCTION task_sync.execute(
    p_work_order_id bigint,
    p_confirmed boolean DEFAULT false,
    p_expected_plan_hash text DEFAULT NULL,
    p_overwrite_edits boolean DEFAULT false,
    p_restore_dismissed boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Hash joins, at every size: a long-lived session that ran execute on small work orders has
-- generic plans cached for its statements (and those of _plan_rows and _apply), built for a few
-- rows; reused for a work order of thousands of drafts, their nested loops over CTE scans went
-- quadratic (measured: 37 s instead of 1.3 s for 7,500 drafts), and so did custom plans when
-- statistics did not know a new work order yet. Hash joins stay linear whatever the plan
-- assumed. (Not plan_cache_mode = force_custom_plan: it applies to the foreign-key checks of the
-- rows written too, and replanning those per row cost 80 µs a row.)
SET enable_nestloop = off
-- with nested loops off, a plan that still needs one carries the disable cost, which would start JIT
SET jit = off
AS $$
DECLARE
    v_wo    task_sync.work_order;
    v_rows  task_sync.plan_row[];
    v_hash  text;
    v_marks bigint[];
    v_res   record;
BEGIN
    PERFORM task_sync._check_work_order_id(p_work_order_id);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('malformed plan hash: %L', p_expected_plan_hash),
            HINT = 'Pass the plan_hash of task_sync.preview(): 64 lowercase hex digits.';
    END IF;
    PERFORM task_sync._check_flags(p_overwrite_edits, p_restore_dismissed);
    IF p_confirmed IS NOT TRUE THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC01',
            MESSAGE = format('confirmation required to sync work order %s', p_work_order_id),
            HINT = 'Read task_sync.preview(id) first, then call task_sync.execute(id, true, <plan_hash>).';
    END IF;

    PERFORM FROM task_sync.work_order_process WHERE work_order_id = p_work_order_id FOR KEY SHARE;
    SELECT * INTO v_wo FROM task_sync.work_order WHERE id = p_work_order_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSN01',
            MESSAGE = format('work order %s not found', p_work_order_id);
    END IF;
    IF NOT task_sync._may_sync(v_wo.status, v_wo.approval_status) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC03',
            MESSAGE = format('work order %s may not be synced', p_work_order_id),
            DETAIL = format('status is %s, approval_status is %s', v_wo.status, v_wo.approval_status),
            HINT = 'Only work orders that are not approved, completed or cancelled are synced.';
    END IF;
    BEGIN
        PERFORM FROM task_sync.work_order_process WHERE work_order_id = p_work_order_id FOR KEY SHARE NOWAIT;
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION USING
            ERRCODE = '40001',
            MESSAGE = format('the route of work order %s is being changed by another transaction', p_work_order_id),
            HINT = 'Retry the sync.';
    END;

    -- the marks first, the plan after: the plan sees every change these marks stand for
    v_marks := ARRAY(SELECT m.id FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id);
    v_rows := ARRAY(SELECT r FROM task_sync._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r);
    v_hash := task_sync._plan_hash(v_rows);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash <> v_hash THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC02',
            MESSAGE = format('stale plan for work order %s: the plan changed since it was previewed', p_work_order_id),
            DETAIL = format('expected plan_hash %s, current plan_hash %s', p_expected_plan_hash, v_hash),
            HINT = 'Preview again (with the same flags) and confirm the new plan.';
    END IF;

    SELECT * INTO v_res
    FROM task_sync._apply(ARRAY[p_work_order_id], v_rows, p_overwrite_edits, p_restore_dismissed, 'execute', v_marks,
                          v_hash);
    RETURN jsonb_build_object(
        'work_order_id', v_res.work_order_id,
        'sync_run_id', v_res.sync_run_id,
        'plan_hash', v_res.plan_hash,
        'added', v_res.added,
        'removed', v_res.removed,
        'updated', v_res.updated,
        'conflicts', v_res.conflicts,
        'synced_version', v_res.synced_version);
END
$$;

COMMENT ON FUNCTION task_sync.execute(bigint, boolean, text, boolean, boolean) IS
    'Syncs one work order atomically; refuses a stale plan (TSC02) when given the previewed plan_hash';

CREATE OR REPLACE FUNCTION task_sync.pending(p_limit integer DEFAULT NULL)
RETURNS TABLE (
    work_order_id       bigint,
    order_number        text,
    definition_version  bigint,
    synced_version      bigint,
    pending_since       timestamptz
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;
    RETURN QUERY
        SELECT w.id, w.order_number, w.synced_version + m.n, w.synced_version, m.since
        FROM (SELECT x.work_order_id, count(*) AS n, min(x.marked_at) AS since
              FROM task_sync.work_order_mark x
              GROUP BY x.work_order_id) m
        JOIN task_sync.work_order w ON w.id = m.work_order_id
        WHERE task_sync._may_sync(w.status, w.approval_status)
        ORDER BY m.since, w.id
        LIMIT p_limit;
END
$$;

COMMENT ON FUNCTION task_sync.pending(integer) IS 'Work orders that need a sync and may be synced, longest waiting first';

CREATE OR REPLACE FUNCTION task_sync.plan(
    p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS SETOF task_sync.plan_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- see execute: plans for this work order's size, with hash joins
SET enable_nestloop = off
SET jit = off
AS $$
BEGIN
    PERFORM task_sync._work_order(p_work_order_id);
    PERFORM task_sync._check_flags(p_overwrite_edits, p_restore_dismissed);
    RETURN QUERY
        SELECT (i.r).*
        FROM task_sync._items(ARRAY(
                SELECT r FROM task_sync._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r)) AS i
        ORDER BY i.ord;
END
$$;

COMMENT ON FUNCTION task_sync.plan(bigint, boolean, boolean) IS
    'The plan of a work order as rows (the items of preview with the same flags), for psql';

CREATE OR REPLACE FUNCTION task_sync.preview(
    p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- see execute: plans for this work order's size, with hash joins
SET enable_nestloop = off
SET jit = off
AS $$
DECLARE
    v_wo    task_sync.work_order := task_sync._work_order(p_work_order_id);
    v_marks bigint;
    v_rows  task_sync.plan_row[];
BEGIN
    PERFORM task_sync._check_flags(p_overwrite_edits, p_restore_dismissed);
    v_marks := (SELECT count(*) FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id);
    v_rows := ARRAY(SELECT r FROM task_sync._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r);
    RETURN jsonb_build_object(
        'work_order_id', v_wo.id,
        'order_number', v_wo.order_number,
        'plan_hash', task_sync._plan_hash(v_rows),
        'definition_version', v_wo.synced_version + v_marks,
        'synced_version', v_wo.synced_version,
        'sync_needed', v_marks > 0,
        'may_sync', task_sync._may_sync(v_wo.status, v_wo.approval_status),
        'overwrite_edits', p_overwrite_edits,
        'restore_dismissed', p_restore_dismissed,
        'summary', (
            SELECT jsonb_build_object(
                'add', count(*) FILTER (WHERE r.action = 'add'),
                'remove', count(*) FILTER (WHERE r.action = 'remove'),
                'update', count(*) FILTER (WHERE r.action = 'update'),
                'conflict', count(*) FILTER (WHERE r.action = 'conflict'),
                'dismissed', count(*) FILTER (WHERE r.action = 'dismissed'),
                'orphaned', count(*) FILTER (WHERE r.action = 'orphaned'),
                'keep', count(*) FILTER (WHERE r.action = 'keep'))
            FROM unnest(v_rows) AS r),
        'items', (SELECT coalesce(jsonb_agg(to_jsonb(i.r) ORDER BY i.ord), '[]') FROM task_sync._items(v_rows) AS i));
END
$$;

COMMENT ON FUNCTION task_sync.preview(bigint, boolean, boolean) IS
    'What execute with the same flags would do to the work order, item by item, with its plan_hash; changes nothing';

CREATE OR REPLACE FUNCTION task_sync.repair_marks()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    c_chunk CONSTANT integer := 1000;
    v_after bigint := 0;
    v_ids   bigint[];
    v_count integer := 0;
BEGIN
    PERFORM task_sync._require_read_committed('repair_marks()');
    LOOP
        v_ids := ARRAY(
            SELECT w.id
            FROM task_sync.work_order w
            WHERE w.id > v_after
              AND NOT EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id)
            ORDER BY w.id
            LIMIT c_chunk);
        EXIT WHEN cardinality(v_ids) = 0;
        v_after := v_ids[cardinality(v_ids)];
        v_count := v_count + task_sync._mark(ARRAY(
            SELECT DISTINCT r.work_order_id
            FROM task_sync._plan_rows(v_ids) AS r
            WHERE r.action IN ('add', 'remove', 'update', 'conflict')));
    END LOOP;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync.repair_marks() IS
    'Marks every work order whose plan has something to do but that is not pending (after trigger-less loads); returns the count';

CREATE OR REPLACE FUNCTION task_sync.sync_pending(p_limit integer DEFAULT NULL)
RETURNS TABLE (
    work_order_id   bigint,
    added           integer,
    removed         integer,
    updated         integer,
    conflicts       integer,
    sync_run_id     bigint
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Hash joins for the batch: the task rows a chunk writes were often inserted by an earlier chunk
-- of the same transaction, which statistics cannot know about yet; planned as a tiny table, a
-- nested loop over it goes quadratic (measured: 4.6 s instead of 0.3 s for the second chunk of
-- 500 work orders). Every scan is still bounded by work_order_id = ANY (chunk).
SET enable_nestloop = off
-- a plan that still needs a nested loop carries the planner's disable cost (1e10), which would
-- start JIT compilation (~0.7 s per statement measured on PostgreSQL 15 with LLVM): never worth it here
SET jit = off
AS $$
DECLARE
    c_chunk CONSTANT integer := 500;
    v_left  integer := p_limit;         -- how many more may be synced (NULL: no limit)
    v_seen  bigint[] := '{}'::bigint[]; -- tried in this call: synced or left as busy
    v_try   bigint[];
    v_chunk bigint[];
    v_busy  bigint[];
    v_marks bigint[];
BEGIN
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;

    WHILE v_left IS NULL OR v_left > 0 LOOP
        -- the next candidates, longest waiting first, read without locking
        v_try := ARRAY(
            SELECT m.work_order_id
            FROM (SELECT x.work_order_id, min(x.marked_at) AS since
                  FROM task_sync.work_order_mark x
                  GROUP BY x.work_order_id) m
            JOIN task_sync.work_order w ON w.id = m.work_order_id
            WHERE task_sync._may_sync(w.status, w.approval_status)
              AND m.work_order_id <> ALL (v_seen)
            ORDER BY m.since, m.work_order_id
            LIMIT least(c_chunk, coalesce(v_left, c_chunk)));
        EXIT WHEN cardinality(v_try) = 0;
        v_seen := v_seen || v_try;

        -- claim what is free; a busy work order is dropped and the rest claimed again, with the
        -- locks of the failed attempt released (each attempt drops at least one, so this ends)
        LOOP
            EXIT WHEN cardinality(v_try) = 0;
            BEGIN
                v_chunk := ARRAY(
                    SELECT w.id
                    FROM task_sync.work_order w
                    WHERE w.id = ANY (v_try)
                      AND task_sync._may_sync(w.status, w.approval_status)
                      AND EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id)
                    ORDER BY w.id
                    FOR NO KEY UPDATE SKIP LOCKED);
                v_busy := ARRAY(
                    WITH route AS MATERIALIZED (
                        SELECT p.work_order_id, p.id
                        FROM task_sync.work_order_process p
                        WHERE p.work_order_id = ANY (v_chunk)
                    ),
                    route_held AS MATERIALIZED (
                        SELECT p.id
                        FROM task_sync.work_order_process p
                        WHERE p.work_order_id = ANY (v_chunk)
                        FOR KEY SHARE SKIP LOCKED
                    ),
                    gen AS MATERIALIZED (
                        SELECT t.work_order_id, t.id
                        FROM task_sync.task t
                        WHERE t.work_order_id = ANY (v_chunk) AND t.origin = 'generated'
                    ),
                    gen_held AS MATERIALIZED (
                        SELECT t.id
                        FROM task_sync.task t
                        WHERE t.work_order_id = ANY (v_chunk) AND t.origin = 'generated'
                        FOR NO KEY UPDATE SKIP LOCKED
                    )
                    SELECT r.work_order_id FROM route r WHERE NOT EXISTS (SELECT FROM route_held h WHERE h.id = r.id)
                    UNION
                    SELECT g.work_order_id FROM gen g WHERE NOT EXISTS (SELECT FROM gen_held h WHERE h.id = g.id));
                IF cardinality(v_busy) > 0 THEN
                    v_try := ARRAY(SELECT c FROM unnest(v_chunk) AS c WHERE c <> ALL (v_busy));
                    RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'busy work orders: claim again';
                END IF;
                v_try := '{}';
                -- the marks first, the plan after (see execute); a work order whose marks are gone
                -- was synced by another session since the candidates were read: not this one's
                SELECT coalesce(array_agg(m.id), '{}'), coalesce(array_agg(DISTINCT m.work_order_id), '{}')
                INTO v_marks, v_chunk
                FROM task_sync.work_order_mark m
                WHERE m.work_order_id = ANY (v_chunk);
                IF cardinality(v_chunk) > 0 THEN
                    RETURN QUERY
                        SELECT a.work_order_id, a.added, a.removed, a.updated, a.conflicts, a.sync_run_id
                        FROM task_sync._apply(
                            v_chunk, ARRAY(SELECT r FROM task_sync._plan_rows(v_chunk) AS r), false, false,
                            'sync_pending', v_marks) AS a;
                    v_left := v_left - cardinality(v_chunk);
                END IF;
            EXCEPTION WHEN SQLSTATE 'TSR01' THEN
                NULL;   -- this attempt's locks are released; v_try holds the free ones
            END;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION task_sync.sync_pending(integer) IS
    'Syncs pending work orders set-based, never waiting: what another session holds stays pending';

CREATE OR REPLACE FUNCTION task_sync.tg_any__mark_truncate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync._require_read_committed(format('TRUNCATE of %s', TG_TABLE_NAME));
    PERFORM task_sync._mark(ARRAY(SELECT w.id FROM task_sync.work_order w));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_any__mark_truncate() IS 'Marks every work order after a TRUNCATE of a table that reaches plans';

CREATE OR REPLACE FUNCTION task_sync.tg_catalog__mark()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_changed   bigint[];
    v_ids       bigint[];
BEGIN
    v_changed := ARRAY(
        SELECT n.id
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.name, CASE WHEN TG_TABLE_NAME = 'process' THEN n.code END)
              IS DISTINCT FROM (o.name, CASE WHEN TG_TABLE_NAME = 'process' THEN o.code END)
        ORDER BY n.id);
    IF cardinality(v_changed) = 0 THEN
        RETURN NULL;
    END IF;
    PERFORM task_sync._require_read_committed(format('renaming %s rows', TG_TABLE_NAME));
    EXECUTE format('SELECT FROM task_sync.%I c WHERE c.id = ANY ($1) ORDER BY c.id FOR UPDATE', TG_TABLE_NAME)
    USING v_changed;
    EXECUTE format(
        'SELECT ARRAY(SELECT DISTINCT l.work_order_id FROM task_sync.%I l WHERE l.%I = ANY ($1))',
        'work_order_' || TG_TABLE_NAME, TG_TABLE_NAME || '_id')
    INTO v_ids
    USING v_changed;
    PERFORM task_sync._mark(v_ids);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_catalog__mark() IS
    'Marks work orders that use a renamed catalog row, after locking it against concurrent links';

CREATE OR REPLACE FUNCTION task_sync.tg_generation_rule__mark()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_codes     text[];
    v_default   boolean;
    v_processes bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.process_code), bool_or(n.process_code IS NULL)
        INTO v_codes, v_default FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.process_code), bool_or(o.process_code IS NULL)
        INTO v_codes, v_default FROM old_rows o;
    ELSE
        SELECT array_agg(DISTINCT x.process_code), bool_or(x.process_code IS NULL)
        INTO v_codes, v_default
        FROM ((TABLE new_rows EXCEPT ALL TABLE old_rows)
              UNION ALL
              (TABLE old_rows EXCEPT ALL TABLE new_rows)) AS x;
    END IF;
    IF v_codes IS NULL AND v_default IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM task_sync._require_read_committed('changing generation rules');
    IF v_default THEN
        LOCK TABLE task_sync.process IN SHARE MODE;
    END IF;
    v_processes := ARRAY(
        SELECT p.id
        FROM task_sync.process p
        WHERE p.code = ANY (v_codes) OR v_default
        ORDER BY p.id
        FOR UPDATE);
    -- a statement of its own: its snapshot sees every route row added before the locks were granted
    PERFORM task_sync._mark(ARRAY(
        SELECT DISTINCT wop.work_order_id
        FROM task_sync.work_order_process wop
        JOIN task_sync.process p ON p.id = wop.process_id
        WHERE p.id = ANY (v_processes)
          AND (p.code = ANY (v_codes)
               OR (v_default AND NOT EXISTS (
                       SELECT FROM task_sync.generation_rule r WHERE r.process_code = p.code)))));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_generation_rule__mark() IS
    'Marks work orders whose processes take the changed rules, after locking those processes against new route rows';

CREATE OR REPLACE FUNCTION task_sync.tg_task__dismiss()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF task_sync._applying() THEN
        RETURN NULL;
    END IF;
    PERFORM task_sync._dismiss(ARRAY(SELECT o::task_sync.task FROM old_rows o));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_task__dismiss() IS 'Remembers generated tasks deleted by people (dismissals)';

CREATE OR REPLACE FUNCTION task_sync.tg_task__mark()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF task_sync._applying() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM task_sync._mark(ARRAY(
            SELECT DISTINCT n.work_order_id FROM new_rows n WHERE n.origin = 'generated'));
        RETURN NULL;
    END IF;
    PERFORM task_sync._dismiss(ARRAY(
        SELECT o::task_sync.task FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.origin = 'generated' AND n.origin = 'manual'));
    PERFORM task_sync._mark(ARRAY(
        SELECT DISTINCT x.work_order_id
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.work_order_id), (n.work_order_id)) AS x(work_order_id)
        WHERE (o.origin = 'generated' OR n.origin = 'generated')
          AND NOT (o.origin = 'generated' AND n.origin = 'manual')
          AND ((o.origin, o.work_order_id, o.work_order_process_id, o.task_type, o.source_kind, o.source_id,
                o.generated_work_content, o.generated_production_quantity)
               IS DISTINCT FROM
               (n.origin, n.work_order_id, n.work_order_process_id, n.task_type, n.source_kind, n.source_id,
                n.generated_work_content, n.generated_production_quantity)
               OR (o.status <> 'draft' AND n.status = 'draft'))));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_task__mark() IS
    'Marks work orders whose generated tasks people changed in ways a sync cares about; a task turned manual is a dismissal';

CREATE OR REPLACE FUNCTION task_sync.tg_work_order__forget_marks()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM task_sync.work_order_mark m
    USING old_rows o
    WHERE m.work_order_id = o.id;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_work_order__forget_marks() IS 'Deletes the marks of deleted work orders (statement-level)';

CREATE OR REPLACE FUNCTION task_sync.tg_work_order__mark()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync._mark(ARRAY(
        SELECT n.id
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE (n.order_number, n.production_quantity) IS DISTINCT FROM (o.order_number, o.production_quantity)));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_work_order__mark() IS
    'Marks work orders whose order_number or production_quantity changed (statement-level)';

CREATE OR REPLACE FUNCTION task_sync.tg_work_order_input__mark()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        v_ids := ARRAY(SELECT DISTINCT n.work_order_id FROM new_rows n);
    ELSIF TG_OP = 'DELETE' THEN
        v_ids := ARRAY(SELECT DISTINCT o.work_order_id FROM old_rows o);
    ELSE
        v_ids := ARRAY(
            SELECT DISTINCT x.work_order_id
            FROM ((TABLE new_rows EXCEPT ALL TABLE old_rows)
                  UNION ALL
                  (TABLE old_rows EXCEPT ALL TABLE new_rows)) AS x);
    END IF;
    PERFORM task_sync._mark(v_ids);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_work_order_input__mark() IS
    'Marks the work orders whose inputs a statement really changed (statement-level, transition tables)';

CREATE OR REPLACE FUNCTION task_sync.tg_work_order_process__forget_dismissals()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM task_sync.task_dismissal d
    USING old_rows o
    WHERE d.work_order_id = o.work_order_id AND d.work_order_process_id = o.id;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_work_order_process__forget_dismissals() IS
    'Forgets the dismissals of deleted route processes (statement-level)';

CREATE OR REPLACE FUNCTION task_sync.tg_work_order_process__guard_formal()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count bigint;
BEGIN
    SELECT count(*) INTO v_count
    FROM task_sync.task t
    WHERE t.work_order_id = OLD.work_order_id AND t.work_order_process_id = OLD.id AND t.status <> 'draft';
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC04',
            MESSAGE = format('process %s of work order %s still has %s formal task(s)',
                             OLD.id, OLD.work_order_id, v_count),
            HINT = 'Complete or cancel its tasks elsewhere first; formal tasks are never removed by pytask_sync.';
    END IF;
    RETURN OLD;
END
$$;

COMMENT ON FUNCTION task_sync.tg_work_order_process__guard_formal() IS
    'Refuses deleting a route process that still has formal tasks (TSC04)';

DROP VIEW task_sync.work_order_source;
DROP TABLE task_sync.source_kind;
DROP SCHEMA task_sync_internal;

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
