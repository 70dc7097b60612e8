-- 0004_kinds up: component kinds are data, like rules; psql as the reference.
--   * task_sync.source_kind registers every kind (the seven built-in ones here); the view
--     work_order_source, rebuilt from it, is how _desired reads every kind;
--   * generation_rule.source_kind and task.source_kind are foreign keys to the registry (were
--     CHECK lists); quantity_source 'source' for line kinds only is a trigger (was a CHECK);
--   * create_source_kind / drop_source_kind (owner only); the built-in kinds' tables get the
--     comments every kind's tables have (_source_kind_dress);
--   * plan_pending: the plans of every pending work order, for a fleet-wide what-if;
--   * every column has a comment, every public function's comment names its parameters and
--     SQLSTATEs; sync_history and sync_changes make the audit readable; helpers and trigger
--     functions live in task_sync_internal, so that task_sync holds the API alone.
-- Frozen copy of the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

-- the helpers and trigger functions move to a schema of their own (triggers follow their
-- functions); every function is then replaced below with its body naming the new schema
CREATE SCHEMA task_sync_internal;
COMMENT ON SCHEMA task_sync_internal IS
    'pytask_sync internals: helpers and trigger functions of the task_sync schema (not an API: they change between versions)';
ALTER FUNCTION task_sync._check_work_order_id(bigint) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._content_tokens(text,text,text,text,text) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._content(text,text,text,text,text) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._desired(bigint[]) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._field_outcome(text,text,text) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._field_outcome(integer,integer,integer) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._mark(bigint[]) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._may_sync(text,text) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._plan_hash(task_sync.plan_row[]) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._work_order(bigint) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync.tg_catalog__mark() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync.tg_generation_rule__mark() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync.tg_task__dismiss() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync.tg_work_order__mark() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync.tg_work_order_input__mark() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync.tg_work_order_process__forget_dismissals() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync.tg_work_order_process__guard_formal() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._require_read_committed(text) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._dismiss(task_sync.task[]) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync.tg_task__mark() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync.tg_any__mark_truncate() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync.tg_work_order__forget_marks() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._check_flags(boolean,boolean) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._caller() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._applying() SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._template_ok(text) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._template_pre(text,boolean,text,text,text) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._content_from_pre(text,text,text,text,text,text) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._field_write(text,text,text,boolean) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._field_write(integer,integer,integer,boolean) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._items(task_sync.plan_row[]) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._plan_hashes(task_sync.plan_row[]) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._plan_rows(bigint[],boolean,boolean) SET SCHEMA task_sync_internal;
ALTER FUNCTION task_sync._apply(bigint[],task_sync.plan_row[],boolean,boolean,text,bigint[],text) SET SCHEMA task_sync_internal;

CREATE TABLE task_sync.source_kind (
    kind            text NOT NULL,
    shape           text NOT NULL,
    line_filter     text,
    built_in        boolean NOT NULL DEFAULT false,
    CONSTRAINT source_kind_pkey PRIMARY KEY (kind),
    CONSTRAINT source_kind__kind_check CHECK (kind ~ '^[a-z][a-z0-9_]*$' AND length(kind) <= 40),
    CONSTRAINT source_kind__shape_check CHECK (shape IN ('work_order', 'link', 'line')),
    CONSTRAINT source_kind__line_filter_check CHECK (line_filter IS NULL OR shape = 'line')
);
COMMENT ON TABLE task_sync.source_kind IS
    'The kinds of source a generation rule yields one task per: work_order, link kinds and line kinds '
    '(task_sync.create_source_kind adds one)';
COMMENT ON COLUMN task_sync.source_kind.kind IS
    'The kind''s name, as generation_rule.source_kind and task.source_kind spell it';
COMMENT ON COLUMN task_sync.source_kind.shape IS
    'work_order: the work order itself (source_id = its id); link: one source per linked catalog row '
    '(source_id = the catalog id); line: one source per line (source_id = the line id, with a quantity)';
COMMENT ON COLUMN task_sync.source_kind.line_filter IS
    'Line kinds: a boolean column of the lines table that must be true for a line to be a source '
    '(material: need_cutting); NULL: every line';
COMMENT ON COLUMN task_sync.source_kind.built_in IS
    'One of the kinds every installation has (drop_source_kind refuses them)';

INSERT INTO task_sync.source_kind (kind, shape, line_filter, built_in) VALUES
    ('work_order', 'work_order', NULL, true), ('artwork', 'link', NULL, true), ('die', 'link', NULL, true),
    ('foiling_plate', 'link', NULL, true), ('embossing_plate', 'link', NULL, true),
    ('material', 'line', 'need_cutting', true), ('product', 'line', NULL, true);

CREATE VIEW task_sync.work_order_source AS
    SELECT w.id AS work_order_id, 'work_order'::text AS source_kind, w.id AS source_id,
           w.order_number AS name, NULL::integer AS quantity
    FROM task_sync.work_order w;

CREATE OR REPLACE FUNCTION task_sync_internal._apply(
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
            work_content = task_sync_internal._field_write(
                t.work_content, t.generated_work_content, r.desired_work_content, p_overwrite_edits),
            production_quantity = task_sync_internal._field_write(
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
        FROM task_sync_internal._plan_hashes(p_rows) AS h
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
               coalesce(p_plan_hash, h.plan_hash, task_sync_internal._plan_hash('{}')) AS plan_hash,
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
        SELECT p.id, task_sync_internal._caller(), current_setting('application_name'), p_via, p.plan_hash, p.from_version,
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

COMMENT ON FUNCTION task_sync_internal._apply(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text) IS
    'Applies a computed plan to these work orders in one statement and writes their sync_run rows';

CREATE OR REPLACE FUNCTION task_sync_internal._applying()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM task_sync.applying a WHERE a.xact = pg_current_xact_id_if_assigned())
$$;

COMMENT ON FUNCTION task_sync_internal._applying() IS 'True while a sync of this transaction is writing (engine only)';

CREATE OR REPLACE FUNCTION task_sync_internal._caller()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- standard SQL body: bound when created
RETURN CASE pg_catalog.current_setting('role')
    WHEN 'none' THEN session_user::text
    ELSE pg_catalog.current_setting('role')
END;

COMMENT ON FUNCTION task_sync_internal._caller() IS
    'The role the session acts as (SET ROLE, else the session user): who called a SECURITY DEFINER function';

CREATE OR REPLACE FUNCTION task_sync_internal._check_flags(p_overwrite_edits boolean, p_restore_dismissed boolean)
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

COMMENT ON FUNCTION task_sync_internal._check_flags(boolean, boolean) IS 'Raises TSV01 when a sync flag is NULL';

CREATE OR REPLACE FUNCTION task_sync_internal._check_work_order_id(p_work_order_id bigint)
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

COMMENT ON FUNCTION task_sync_internal._check_work_order_id(bigint) IS 'Raises TSV01 for a null or non-positive work order id';

CREATE OR REPLACE FUNCTION task_sync_internal._content_tokens(
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

COMMENT ON FUNCTION task_sync_internal._content_tokens(text, text, text, text, text) IS
    'work_content of a rule template, general case: placeholders substituted token by token';

CREATE OR REPLACE FUNCTION task_sync_internal._template_ok(p_template text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- A standard SQL body is bound when created (names resolved then, not by the caller's
-- search_path) and, unlike a function with a SET clause, is inlined into the calling query.
RETURN strpos(regexp_replace(p_template,
           '\{(?:order_number|process_code|process_name|source_name)\}', '', 'g'), '{') = 0;

COMMENT ON FUNCTION task_sync_internal._template_ok(text) IS
    'True when a rule template has no ''{'' outside its placeholders (the fast path of _template_pre applies)';

CREATE OR REPLACE FUNCTION task_sync_internal._template_pre(
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

COMMENT ON FUNCTION task_sync_internal._template_pre(text, boolean, text, text, text) IS
    'A rule template with the work order''s and process''s values substituted (NULL when only _content_tokens is exact)';

CREATE OR REPLACE FUNCTION task_sync_internal._content_from_pre(
    p_pre text, p_template text, p_order_number text, p_process_code text, p_process_name text,
    p_source_name text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body, inlined (see _template_pre)
RETURN coalesce(
    replace(p_pre, '{source_name}', coalesce(p_source_name, '')),
    task_sync_internal._content_tokens(p_template, p_order_number, p_process_code, p_process_name, p_source_name));

COMMENT ON FUNCTION task_sync_internal._content_from_pre(text, text, text, text, text, text) IS
    'work_content from a template _template_pre resolved: the per-task step';

CREATE OR REPLACE FUNCTION task_sync_internal._content(
    p_template text, p_order_number text, p_process_code text, p_process_name text, p_source_name text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body, inlined (see _template_pre)
RETURN task_sync_internal._content_from_pre(
    task_sync_internal._template_pre(p_template, task_sync_internal._template_ok(p_template), p_order_number, p_process_code,
                            p_process_name),
    p_template, p_order_number, p_process_code, p_process_name, p_source_name);

COMMENT ON FUNCTION task_sync_internal._content(text, text, text, text, text) IS
    'work_content of a rule template: placeholders substituted in one pass';

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
        -- every kind read the same way: the view built from the registry of kinds
        SELECT s.work_order_id, s.source_kind AS kind, s.source_id, s.name, s.quantity
        FROM task_sync.work_order_source s
        WHERE s.work_order_id = ANY (p_work_order_ids)
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

CREATE OR REPLACE FUNCTION task_sync_internal._dismiss(p_tasks task_sync.task[])
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO task_sync.task_dismissal
        (work_order_id, work_order_process_id, task_type, source_kind, source_id, task_id, dismissed_by)
    SELECT o.work_order_id, o.work_order_process_id, o.task_type, o.source_kind, o.source_id, o.id,
           task_sync_internal._caller()
    FROM unnest(p_tasks) AS o
    WHERE o.origin = 'generated' AND o.work_order_process_id IS NOT NULL
      AND EXISTS (SELECT FROM task_sync.work_order_process p
                  WHERE p.work_order_id = o.work_order_id AND p.id = o.work_order_process_id)
    ON CONFLICT DO NOTHING;
$$;

COMMENT ON FUNCTION task_sync_internal._dismiss(task_sync.task[]) IS
    'Records deleted or taken-over generated tasks as dismissals';

CREATE OR REPLACE FUNCTION task_sync_internal._field_outcome(p_current text, p_baseline text, p_desired text)
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

COMMENT ON FUNCTION task_sync_internal._field_outcome(text, text, text) IS
    'Three-way outcome of one generated field: same, update, edited or conflict';

CREATE OR REPLACE FUNCTION task_sync_internal._field_outcome(p_current integer, p_baseline integer, p_desired integer)
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

COMMENT ON FUNCTION task_sync_internal._field_outcome(integer, integer, integer) IS
    'Three-way outcome of one generated field: same, update, edited or conflict';

-- task_sync_internal._field_write(p_current text, p_baseline text, p_desired text, p_overwrite boolean) -> text
-- task_sync_internal._field_write(p_current integer, p_baseline integer, p_desired integer, p_overwrite boolean) -> integer
-- The value a sync leaves in one generated field of a draft that is still desired, by its
-- _field_outcome: update takes the rule value, conflict keeps the planner's (the rule value when
-- p_overwrite), same and edited keep what the field holds. _apply writes with it, on the row as
-- it is at the write, so the three-way rule lives here and in _field_outcome only.

CREATE OR REPLACE FUNCTION task_sync_internal._field_write(p_current text, p_baseline text, p_desired text, p_overwrite boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE task_sync_internal._field_outcome(p_current, p_baseline, p_desired)
    WHEN 'update' THEN p_desired
    WHEN 'conflict' THEN CASE WHEN p_overwrite THEN p_desired ELSE p_current END
    ELSE p_current
END;

COMMENT ON FUNCTION task_sync_internal._field_write(text, text, text, boolean) IS
    'The value a sync leaves in one generated field, by its three-way outcome';

CREATE OR REPLACE FUNCTION task_sync_internal._field_write(p_current integer, p_baseline integer, p_desired integer, p_overwrite boolean)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE task_sync_internal._field_outcome(p_current, p_baseline, p_desired)
    WHEN 'update' THEN p_desired
    WHEN 'conflict' THEN CASE WHEN p_overwrite THEN p_desired ELSE p_current END
    ELSE p_current
END;

COMMENT ON FUNCTION task_sync_internal._field_write(integer, integer, integer, boolean) IS
    'The value a sync leaves in one generated field, by its three-way outcome';

CREATE OR REPLACE FUNCTION task_sync_internal._ident(p_name text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN octet_length(p_name) <= 63 THEN p_name
                ELSE left(p_name, 54) || '_' || left(md5(p_name), 8) END
$$;

COMMENT ON FUNCTION task_sync_internal._ident(text) IS
    'A built name that fits 63 bytes: itself, or a prefix and a hash (never a silent truncation)';

CREATE OR REPLACE FUNCTION task_sync_internal._items(p_rows task_sync.plan_row[])
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

COMMENT ON FUNCTION task_sync_internal._items(task_sync.plan_row[]) IS 'Visible plan items, numbered in canonical order';

CREATE OR REPLACE FUNCTION task_sync_internal._mark(p_work_order_ids bigint[])
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

COMMENT ON FUNCTION task_sync_internal._mark(bigint[]) IS
    'Marks these work orders as needing a sync (one mark per transaction) and notifies task_sync';

CREATE OR REPLACE FUNCTION task_sync_internal._may_sync(p_status text, p_approval_status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body: bound when created, inlined into the caller's query
RETURN p_approval_status <> 'approved' AND p_status NOT IN ('completed', 'cancelled');

COMMENT ON FUNCTION task_sync_internal._may_sync(text, text) IS 'True while a work order may be synced';

CREATE OR REPLACE FUNCTION task_sync_internal._plan_hashes(p_rows task_sync.plan_row[])
RETURNS TABLE (work_order_id bigint, plan_hash text)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (i.r).work_order_id,
           encode(sha256(convert_to(string_agg(i.r::text, E'\n' ORDER BY i.ord), 'UTF8')), 'hex')
    FROM task_sync_internal._items(p_rows) AS i
    GROUP BY (i.r).work_order_id
$$;

COMMENT ON FUNCTION task_sync_internal._plan_hashes(task_sync.plan_row[]) IS
    'sha256 of each work order''s visible plan items in canonical order, for a batch';

CREATE OR REPLACE FUNCTION task_sync_internal._plan_hash(p_rows task_sync.plan_row[])
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT encode(sha256(convert_to(coalesce(string_agg(i.r::text, E'\n' ORDER BY i.ord), ''), 'UTF8')), 'hex')
    FROM task_sync_internal._items(p_rows) AS i
$$;

COMMENT ON FUNCTION task_sync_internal._plan_hash(task_sync.plan_row[]) IS
    'sha256 of the visible plan items in canonical order';

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
               task_sync_internal._field_outcome(g.work_content, g.generated_work_content, d.work_content) AS wc,
               task_sync_internal._field_outcome(g.production_quantity, g.generated_production_quantity,
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

COMMENT ON FUNCTION task_sync_internal._plan_rows(bigint[], boolean, boolean) IS
    'The sync plan of these work orders, unordered, including internal keep lines';

CREATE OR REPLACE FUNCTION task_sync_internal._require_read_committed(p_what text)
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

COMMENT ON FUNCTION task_sync_internal._require_read_committed(text) IS
    'Raises TSC05 unless the transaction is READ COMMITTED (rule and catalog changes)';

CREATE OR REPLACE FUNCTION task_sync_internal._source_kind_dress(p_kind text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_lines boolean := (SELECT k.shape = 'line' FROM task_sync.source_kind k WHERE k.kind = p_kind);
    v_link  text := 'work_order_' || p_kind;
    v_ref   text := p_kind || '_id';
    v_op    text;
BEGIN
    FOREACH v_op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
        EXECUTE format(
            'CREATE OR REPLACE TRIGGER %I AFTER %s ON task_sync.%I REFERENCING %s'
            ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_work_order_input__mark()',
            task_sync_internal._ident(v_link || '__mark_' || v_op), upper(v_op), v_link,
            CASE v_op WHEN 'insert' THEN 'NEW TABLE AS new_rows'
                      WHEN 'update' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                      ELSE 'OLD TABLE AS old_rows' END);
    END LOOP;
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I AFTER TRUNCATE ON task_sync.%I'
        ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__mark_truncate()',
        task_sync_internal._ident(v_link || '__mark_truncate'), v_link);
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON task_sync.%I'
        ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
        ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_catalog__mark()',
        task_sync_internal._ident(p_kind || '__mark_update'), p_kind);

    EXECUTE format('GRANT SELECT ON task_sync.%I, task_sync.%I TO task_sync_reader', p_kind, v_link);
    EXECUTE format('GRANT INSERT, DELETE ON task_sync.%I TO task_sync_writer', v_link);
    EXECUTE format('GRANT UPDATE (%I%s) ON task_sync.%I TO task_sync_writer',
                   v_ref, CASE WHEN v_lines THEN ', quantity' ELSE '' END, v_link);

    EXECUTE format('COMMENT ON TABLE task_sync.%I IS %L', p_kind,
                   format('Catalog of the source kind %s: what work orders link to, by code and name', p_kind));
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.id IS %L', p_kind,
                   CASE WHEN v_lines THEN 'The catalog row (lines point at it)' ELSE 'The catalog row: the source_id of its tasks' END);
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.code IS %L', p_kind, 'Unique code');
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.name IS %L', p_kind,
                   'Name, as a template''s {source_name} shows it (a rename marks the work orders that use the row)');
    IF v_lines THEN
        EXECUTE format('COMMENT ON TABLE task_sync.%I IS %L', v_link, format(
            'Lines of %s on work orders: a rule of source_kind %s yields one task per line '
            '(source_id = the line id; quantity_source source takes its quantity)', p_kind, p_kind));
        EXECUTE format('COMMENT ON COLUMN task_sync.%I.id IS %L', v_link, 'The line, and the source_id of its tasks');
        EXECUTE format('COMMENT ON COLUMN task_sync.%I.quantity IS %L', v_link,
                       'The line''s quantity (>= 0): a task''s production_quantity when its rule says source');
    ELSE
        EXECUTE format('COMMENT ON TABLE task_sync.%I IS %L', v_link, format(
            'Links of work orders to %s: a rule of source_kind %s yields one task per link '
            '(source_id = %s)', p_kind, p_kind, v_ref));
    END IF;
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.work_order_id IS %L', v_link, 'The work order');
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.%I IS %L', v_link, v_ref, format('The %s (catalog row)', p_kind));
END
$$;

COMMENT ON FUNCTION task_sync_internal._source_kind_dress(text) IS
    'Gives a registered kind''s tables their triggers, grants and comments (idempotent)';

CREATE OR REPLACE FUNCTION task_sync_internal._source_view_build()
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

CREATE OR REPLACE FUNCTION task_sync_internal._work_order(p_work_order_id bigint)
RETURNS task_sync.work_order
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_wo task_sync.work_order;
BEGIN
    PERFORM task_sync_internal._check_work_order_id(p_work_order_id);
    SELECT * INTO v_wo FROM task_sync.work_order WHERE id = p_work_order_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSN01',
            MESSAGE = format('work order %s not found', p_work_order_id);
    END IF;
    RETURN v_wo;
END
$$;

COMMENT ON FUNCTION task_sync_internal._work_order(bigint) IS 'The work order row; TSV01 for a bad id, TSN01 when absent';

CREATE OR REPLACE FUNCTION task_sync.check_sync_needed(p_work_order_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync_internal._work_order(p_work_order_id);
    RETURN EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id);
END
$$;

COMMENT ON FUNCTION task_sync.check_sync_needed(bigint) IS
    'check_sync_needed(p_work_order_id) -> boolean: true when the work order''s inputs changed since '
    'its last sync. TSV01: invalid id; TSN01: work order not found';

CREATE OR REPLACE FUNCTION task_sync.create_source_kind(p_kind text, p_lines boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_link  text := 'work_order_' || p_kind;
    v_ref   text := p_kind || '_id';
BEGIN
    IF p_lines IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = 'invalid argument: p_lines must be true or false',
            HINT = 'Pass false for a link kind (one task per linked catalog row), true for a line kind.';
    END IF;
    IF p_kind IS NULL OR p_kind !~ '^[a-z][a-z0-9_]*$' OR length(p_kind) > 40 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid source kind name: %s', coalesce(quote_literal(p_kind), 'NULL')),
            HINT = 'A kind is a lowercase letter, then lowercase letters, digits or _, 40 characters at most.';
    END IF;
    PERFORM FROM task_sync.source_kind k WHERE k.kind = p_kind FOR KEY SHARE;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('source kind %s already exists', p_kind),
            HINT = 'SELECT kind FROM task_sync.source_kind lists the kinds.';
    END IF;
    IF to_regclass(format('task_sync.%I', p_kind)) IS NOT NULL
       OR to_regclass(format('task_sync.%I', v_link)) IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid source kind name: %s is taken', p_kind),
            DETAIL = format('task_sync.%I or task_sync.%I already exists.', p_kind, v_link),
            HINT = 'Choose another name.';
    END IF;

    INSERT INTO task_sync.source_kind (kind, shape) VALUES (p_kind, CASE WHEN p_lines THEN 'line' ELSE 'link' END);
    EXECUTE format(
        'CREATE TABLE task_sync.%I ('
        ' id bigint GENERATED BY DEFAULT AS IDENTITY, code text NOT NULL, name text NOT NULL,'
        ' CONSTRAINT %I PRIMARY KEY (id), CONSTRAINT %I UNIQUE (code))',
        p_kind, task_sync_internal._ident(p_kind || '_pkey'), task_sync_internal._ident(p_kind || '__code_key'));
    IF p_lines THEN
        EXECUTE format(
            'CREATE TABLE task_sync.%1$I ('
            ' id bigint GENERATED BY DEFAULT AS IDENTITY, work_order_id bigint NOT NULL,'
            ' %2$I bigint NOT NULL, quantity integer NOT NULL DEFAULT 0,'
            ' CONSTRAINT %3$I PRIMARY KEY (work_order_id, id), CONSTRAINT %4$I UNIQUE (id),'
            ' CONSTRAINT %5$I CHECK (id > 0), CONSTRAINT %6$I CHECK (quantity >= 0),'
            ' CONSTRAINT %7$I FOREIGN KEY (work_order_id) REFERENCES task_sync.work_order (id) ON DELETE CASCADE,'
            ' CONSTRAINT %8$I FOREIGN KEY (%2$I) REFERENCES task_sync.%9$I (id) ON DELETE RESTRICT)',
            v_link, v_ref, task_sync_internal._ident(v_link || '_pkey'), task_sync_internal._ident(v_link || '__id_key'),
            task_sync_internal._ident(v_link || '__id_check'), task_sync_internal._ident(v_link || '__quantity_check'),
            task_sync_internal._ident(v_link || '__work_order_id_fkey'), task_sync_internal._ident(v_link || '__' || v_ref || '_fkey'),
            p_kind);
    ELSE
        EXECUTE format(
            'CREATE TABLE task_sync.%1$I ('
            ' work_order_id bigint NOT NULL, %2$I bigint NOT NULL,'
            ' CONSTRAINT %3$I PRIMARY KEY (work_order_id, %2$I),'
            ' CONSTRAINT %4$I FOREIGN KEY (work_order_id) REFERENCES task_sync.work_order (id) ON DELETE CASCADE,'
            ' CONSTRAINT %5$I FOREIGN KEY (%2$I) REFERENCES task_sync.%6$I (id) ON DELETE RESTRICT)',
            v_link, v_ref, task_sync_internal._ident(v_link || '_pkey'), task_sync_internal._ident(v_link || '__work_order_id_fkey'),
            task_sync_internal._ident(v_link || '__' || v_ref || '_fkey'), p_kind);
    END IF;
    -- a catalog row's links, for ON DELETE RESTRICT and for marking after a rename
    EXECUTE format('CREATE INDEX %I ON task_sync.%I (%I)',
                   task_sync_internal._ident(v_link || '__' || v_ref || '_idx'), v_link, v_ref);
    PERFORM task_sync_internal._source_kind_dress(p_kind);
    PERFORM task_sync_internal._source_view_build();
END
$$;

COMMENT ON FUNCTION task_sync.create_source_kind(text, boolean) IS
    'Adds a source kind: create_source_kind(p_kind, p_lines) makes its catalog and its link (p_lines false) or line '
    '(p_lines true) table, marking triggers, grants and comments; rules and tasks accept it at once. Owner only. '
    'TSV01: bad, taken or existing name, or a null flag';

CREATE OR REPLACE FUNCTION task_sync.drop_source_kind(p_kind text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_built_in  boolean;
    v_rules bigint;
    v_tasks bigint;
BEGIN
    SELECT k.built_in INTO v_built_in FROM task_sync.source_kind k WHERE k.kind = p_kind FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('source kind %s does not exist', coalesce(quote_literal(p_kind), 'NULL')),
            HINT = 'SELECT kind FROM task_sync.source_kind lists the kinds.';
    END IF;
    IF v_built_in THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('source kind %s is built in and cannot be dropped', p_kind);
    END IF;
    SELECT count(*) INTO v_rules FROM task_sync.generation_rule r WHERE r.source_kind = p_kind;
    SELECT count(*) INTO v_tasks FROM task_sync.task t WHERE t.source_kind = p_kind;
    IF v_rules + v_tasks > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC06',
            MESSAGE = format('source kind %s is in use', p_kind),
            DETAIL = format('%s generation rule(s) and %s task(s) name it.', v_rules, v_tasks),
            HINT = 'Delete its rules and sync, and delete or change its remaining tasks, then drop it.';
    END IF;
    DELETE FROM task_sync.task_dismissal x WHERE x.source_kind = p_kind;
    DELETE FROM task_sync.source_kind k WHERE k.kind = p_kind;
    PERFORM task_sync_internal._source_view_build();
    EXECUTE format('DROP TABLE task_sync.%I, task_sync.%I', 'work_order_' || p_kind, p_kind);
END
$$;

COMMENT ON FUNCTION task_sync.drop_source_kind(text) IS
    'Drops a created source kind and its tables: drop_source_kind(p_kind). Owner only. '
    'TSV01: not a kind or a built-in one; TSC06: a rule or task still uses it';

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
    PERFORM task_sync_internal._check_work_order_id(p_work_order_id);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('malformed plan hash: %L', p_expected_plan_hash),
            HINT = 'Pass the plan_hash of task_sync.preview(): 64 lowercase hex digits.';
    END IF;
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
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
    IF NOT task_sync_internal._may_sync(v_wo.status, v_wo.approval_status) THEN
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
    v_rows := ARRAY(SELECT r FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r);
    v_hash := task_sync_internal._plan_hash(v_rows);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash <> v_hash THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC02',
            MESSAGE = format('stale plan for work order %s: the plan changed since it was previewed', p_work_order_id),
            DETAIL = format('expected plan_hash %s, current plan_hash %s', p_expected_plan_hash, v_hash),
            HINT = 'Preview again (with the same flags) and confirm the new plan.';
    END IF;

    SELECT * INTO v_res
    FROM task_sync_internal._apply(ARRAY[p_work_order_id], v_rows, p_overwrite_edits, p_restore_dismissed, 'execute', v_marks,
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
    'execute(p_work_order_id, p_confirmed false, p_expected_plan_hash NULL, p_overwrite_edits false, '
    'p_restore_dismissed false) -> jsonb: syncs one work order atomically; with the previewed '
    'plan_hash, a changed plan is refused. TSV01: invalid id, malformed hash or a NULL flag; TSC01: '
    'p_confirmed not true; TSN01: work order not found; TSC03: work order may not be synced; TSC02: '
    'stale plan (nothing changed); 40001: the route changed under the sync (retry)';

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
        WHERE task_sync_internal._may_sync(w.status, w.approval_status)
        ORDER BY m.since, w.id
        LIMIT p_limit;
END
$$;

COMMENT ON FUNCTION task_sync.pending(integer) IS
    'pending(p_limit NULL) -> rows: work orders that need a sync and may be synced, longest waiting '
    'first (at most p_limit; NULL: all). TSV01: negative limit';

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
    PERFORM task_sync_internal._work_order(p_work_order_id);
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
    RETURN QUERY
        SELECT (i.r).*
        FROM task_sync_internal._items(ARRAY(
                SELECT r FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r)) AS i
        ORDER BY i.ord;
END
$$;

COMMENT ON FUNCTION task_sync.plan(bigint, boolean, boolean) IS
    'plan(p_work_order_id, p_overwrite_edits false, p_restore_dismissed false) -> rows: the items of '
    'preview with the same flags, for psql. TSV01: invalid id or a NULL flag; TSN01: work order not '
    'found';

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
    v_wo    task_sync.work_order := task_sync_internal._work_order(p_work_order_id);
    v_marks bigint;
    v_rows  task_sync.plan_row[];
BEGIN
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
    v_marks := (SELECT count(*) FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id);
    v_rows := ARRAY(SELECT r FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r);
    RETURN jsonb_build_object(
        'work_order_id', v_wo.id,
        'order_number', v_wo.order_number,
        'plan_hash', task_sync_internal._plan_hash(v_rows),
        'definition_version', v_wo.synced_version + v_marks,
        'synced_version', v_wo.synced_version,
        'sync_needed', v_marks > 0,
        'may_sync', task_sync_internal._may_sync(v_wo.status, v_wo.approval_status),
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
        'items', (SELECT coalesce(jsonb_agg(to_jsonb(i.r) ORDER BY i.ord), '[]') FROM task_sync_internal._items(v_rows) AS i));
END
$$;

COMMENT ON FUNCTION task_sync.preview(bigint, boolean, boolean) IS
    'preview(p_work_order_id, p_overwrite_edits false, p_restore_dismissed false) -> jsonb: what '
    'execute with the same flags would do to the work order, item by item, with its plan_hash; '
    'changes nothing. TSV01: invalid id or a NULL flag; TSN01: work order not found';

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
    PERFORM task_sync_internal._require_read_committed('repair_marks()');
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
        v_count := v_count + task_sync_internal._mark(ARRAY(
            SELECT DISTINCT r.work_order_id
            FROM task_sync_internal._plan_rows(v_ids) AS r
            WHERE r.action IN ('add', 'remove', 'update', 'conflict')));
    END LOOP;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync.repair_marks() IS
    'repair_marks() -> integer: marks every work order whose plan has something to do but that is not '
    'pending (after loads with triggers off); returns how many. Owner only. TSC05: not READ COMMITTED';

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
            WHERE task_sync_internal._may_sync(w.status, w.approval_status)
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
                      AND task_sync_internal._may_sync(w.status, w.approval_status)
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
                        FROM task_sync_internal._apply(
                            v_chunk, ARRAY(SELECT r FROM task_sync_internal._plan_rows(v_chunk) AS r), false, false,
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
    'sync_pending(p_limit NULL) -> rows: syncs pending work orders set-based (at most p_limit; NULL: '
    'all), never waiting: what another session holds stays pending. TSV01: negative limit';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_any__mark_truncate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync_internal._require_read_committed(format('TRUNCATE of %s', TG_TABLE_NAME));
    PERFORM task_sync_internal._mark(ARRAY(SELECT w.id FROM task_sync.work_order w));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_any__mark_truncate() IS 'Marks every work order after a TRUNCATE of a table that reaches plans';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_catalog__mark()
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
    PERFORM task_sync_internal._require_read_committed(format('renaming %s rows', TG_TABLE_NAME));
    EXECUTE format('SELECT FROM task_sync.%I c WHERE c.id = ANY ($1) ORDER BY c.id FOR UPDATE', TG_TABLE_NAME)
    USING v_changed;
    EXECUTE format(
        'SELECT ARRAY(SELECT DISTINCT l.work_order_id FROM task_sync.%I l WHERE l.%I = ANY ($1))',
        'work_order_' || TG_TABLE_NAME, TG_TABLE_NAME || '_id')
    INTO v_ids
    USING v_changed;
    PERFORM task_sync_internal._mark(v_ids);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_catalog__mark() IS
    'Marks work orders that use a renamed catalog row, after locking it against concurrent links';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_generation_rule__check_quantity()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.quantity_source = 'source'
       AND NOT EXISTS (SELECT FROM task_sync.source_kind k WHERE k.kind = NEW.source_kind AND k.shape = 'line') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = format('quantity_source source needs a line kind; %s has no quantity of its own', NEW.source_kind),
            SCHEMA = TG_TABLE_SCHEMA,
            TABLE = TG_TABLE_NAME,
            CONSTRAINT = 'generation_rule__quantity_source_source_kind_check',
            HINT = 'Use one or work_order, or a line kind (SELECT kind FROM task_sync.source_kind WHERE shape = ''line'').';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_generation_rule__check_quantity() IS
    'Refuses quantity_source source for a kind that is not a line kind (23514)';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_generation_rule__mark()
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
    PERFORM task_sync_internal._require_read_committed('changing generation rules');
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
    PERFORM task_sync_internal._mark(ARRAY(
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

COMMENT ON FUNCTION task_sync_internal.tg_generation_rule__mark() IS
    'Marks work orders whose processes take the changed rules, after locking those processes against new route rows';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_task__dismiss()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF task_sync_internal._applying() THEN
        RETURN NULL;
    END IF;
    PERFORM task_sync_internal._dismiss(ARRAY(SELECT o::task_sync.task FROM old_rows o));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_task__dismiss() IS 'Remembers generated tasks deleted by people (dismissals)';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_task__mark()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF task_sync_internal._applying() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM task_sync_internal._mark(ARRAY(
            SELECT DISTINCT n.work_order_id FROM new_rows n WHERE n.origin = 'generated'));
        RETURN NULL;
    END IF;
    PERFORM task_sync_internal._dismiss(ARRAY(
        SELECT o::task_sync.task FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.origin = 'generated' AND n.origin = 'manual'));
    PERFORM task_sync_internal._mark(ARRAY(
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

COMMENT ON FUNCTION task_sync_internal.tg_task__mark() IS
    'Marks work orders whose generated tasks people changed in ways a sync cares about; a task turned manual is a dismissal';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_work_order__forget_marks()
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

COMMENT ON FUNCTION task_sync_internal.tg_work_order__forget_marks() IS 'Deletes the marks of deleted work orders (statement-level)';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_work_order__mark()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync_internal._mark(ARRAY(
        SELECT n.id
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE (n.order_number, n.production_quantity) IS DISTINCT FROM (o.order_number, o.production_quantity)));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order__mark() IS
    'Marks work orders whose order_number or production_quantity changed (statement-level)';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_work_order_input__mark()
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
    PERFORM task_sync_internal._mark(v_ids);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order_input__mark() IS
    'Marks the work orders whose inputs a statement really changed (statement-level, transition tables)';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_work_order_process__forget_dismissals()
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

COMMENT ON FUNCTION task_sync_internal.tg_work_order_process__forget_dismissals() IS
    'Forgets the dismissals of deleted route processes (statement-level)';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_work_order_process__guard_formal()
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

COMMENT ON FUNCTION task_sync_internal.tg_work_order_process__guard_formal() IS
    'Refuses deleting a route process that still has formal tasks (TSC04)';

SELECT task_sync_internal._source_view_build();

ALTER TABLE task_sync.generation_rule
    DROP CONSTRAINT generation_rule__source_kind_check,
    DROP CONSTRAINT generation_rule__quantity_source_source_kind_check,
    ADD CONSTRAINT generation_rule__source_kind_fkey FOREIGN KEY (source_kind)
        REFERENCES task_sync.source_kind (kind) ON DELETE RESTRICT;
CREATE TRIGGER generation_rule__check_quantity BEFORE INSERT OR UPDATE OF source_kind, quantity_source
    ON task_sync.generation_rule
    FOR EACH ROW EXECUTE FUNCTION task_sync_internal.tg_generation_rule__check_quantity();
ALTER TABLE task_sync.task
    DROP CONSTRAINT task__source_kind_check,
    ADD CONSTRAINT task__source_kind_fkey FOREIGN KEY (source_kind)
        REFERENCES task_sync.source_kind (kind) ON DELETE RESTRICT;

-- the built-in kinds' tables: the same triggers (replaced by themselves), grants and comments as
-- any kind's
SELECT task_sync_internal._source_kind_dress(k.kind) FROM task_sync.source_kind k WHERE k.shape <> 'work_order' ORDER BY k.kind;
COMMENT ON COLUMN task_sync.work_order_material.need_cutting IS
    'A material line is a source (a cutting task, say) only when it needs cutting';

-- 65_views.sql: the audit, readable in psql. sync_run and sync_item keep the facts; these views
-- put the order number beside them and say each change in words:
--   SELECT * FROM task_sync.sync_history ORDER BY ran_at DESC LIMIT 20;
--   SELECT * FROM task_sync.sync_changes WHERE order_number = 'JOB-1001' ORDER BY sync_run_id, task_id;

CREATE VIEW task_sync.sync_history AS
    SELECT s.id AS sync_run_id, s.ran_at, s.work_order_id, w.order_number, s.run_by, s.via,
           s.added, s.removed, s.updated, s.conflicts,
           s.overwrite_edits, s.restore_dismissed, s.from_version, s.to_version, s.application_name
    FROM task_sync.sync_run s
    LEFT JOIN task_sync.work_order w ON w.id = s.work_order_id;
COMMENT ON VIEW task_sync.sync_history IS
    'One row per sync, with its work order''s number: SELECT * FROM task_sync.sync_history ORDER BY ran_at DESC LIMIT 20';

CREATE VIEW task_sync.sync_changes AS
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
COMMENT ON VIEW task_sync.sync_changes IS
    'What each sync changed, one row per task, in words (the facts are in sync_item)';

GRANT SELECT ON task_sync.sync_history, task_sync.sync_changes TO task_sync_reader;

-- 70_comments.sql: what every column means, so that \d+ in psql is the reference. (Tables carry
-- their own comments where they are created; a catalog test fails on any table, view or column
-- of the schema without one.)

COMMENT ON COLUMN task_sync.process.id IS 'The process';
COMMENT ON COLUMN task_sync.process.code IS 'Unique code (CTP, PRT, ...): rules are matched by it; {process_code}';
COMMENT ON COLUMN task_sync.process.name IS 'Name, as a template''s {process_name} shows it';

COMMENT ON COLUMN task_sync.generation_rule.id IS 'The rule';
COMMENT ON COLUMN task_sync.generation_rule.process_code IS
    'The process code the rule is for; NULL: a default rule, for processes whose code has no rule of its own';
COMMENT ON COLUMN task_sync.generation_rule.source_kind IS
    'What the rule yields one task per (a kind of task_sync.source_kind)';
COMMENT ON COLUMN task_sync.generation_rule.task_type IS 'The task_type of the tasks it yields';
COMMENT ON COLUMN task_sync.generation_rule.quantity_source IS
    'A task''s production_quantity: one (1), work_order (the work order''s, 0 when null), source (a line''s quantity)';
COMMENT ON COLUMN task_sync.generation_rule.content_template IS
    'A task''s work_content: {order_number}, {process_code}, {process_name} and {source_name} are substituted '
    'in one pass; anything else is literal';

COMMENT ON COLUMN task_sync.work_order.id IS 'The work order (positive)';
COMMENT ON COLUMN task_sync.work_order.order_number IS 'Unique order number; {order_number} in templates';
COMMENT ON COLUMN task_sync.work_order.production_quantity IS
    'How many to make (>= 0, or NULL); what quantity_source work_order gives a task';
COMMENT ON COLUMN task_sync.work_order.status IS
    'pending, in_progress, paused, completed or cancelled; completed and cancelled work orders are not synced';
COMMENT ON COLUMN task_sync.work_order.approval_status IS 'pending, approved or rejected; approved work orders are not synced';
COMMENT ON COLUMN task_sync.work_order.synced_version IS
    'Engine only: how many marks its syncs have taken in; definition_version is this plus the marks waiting';
COMMENT ON COLUMN task_sync.work_order.created_at IS 'When it was created';

COMMENT ON COLUMN task_sync.work_order_mark.id IS 'The mark';
COMMENT ON COLUMN task_sync.work_order_mark.work_order_id IS 'The work order whose inputs changed';
COMMENT ON COLUMN task_sync.work_order_mark.xact IS 'The transaction that changed them (one mark per work order and transaction)';
COMMENT ON COLUMN task_sync.work_order_mark.marked_at IS 'When (the oldest mark of a work order is its pending_since)';

COMMENT ON COLUMN task_sync.work_order_process.id IS 'The route row (positive); tasks point at it';
COMMENT ON COLUMN task_sync.work_order_process.work_order_id IS 'The work order (never changes)';
COMMENT ON COLUMN task_sync.work_order_process.process_id IS 'The process (task_sync.process)';
COMMENT ON COLUMN task_sync.work_order_process.sequence IS 'Its place in the route (unique per work order)';

COMMENT ON COLUMN task_sync.task.id IS 'The task (positive)';
COMMENT ON COLUMN task_sync.task.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.task.work_order_process_id IS
    'The route row it belongs to; NULL once that process was deleted (its drafts go at the next sync)';
COMMENT ON COLUMN task_sync.task.status IS
    'draft, or formal: pending, in_progress, completed, cancelled. The engine writes drafts only';
COMMENT ON COLUMN task_sync.task.origin IS
    'generated (by the engine) or manual (by people; never matched or changed by a sync)';
COMMENT ON COLUMN task_sync.task.task_type IS 'What kind of work (plate_making, printing, ...): part of the generation key';
COMMENT ON COLUMN task_sync.task.source_kind IS 'The kind of source it was generated for: part of the generation key';
COMMENT ON COLUMN task_sync.task.source_id IS
    'The source: the work order, a linked catalog row, or a line (by its kind): part of the generation key';
COMMENT ON COLUMN task_sync.task.work_content IS 'What to do: the planner''s to edit; a sync writes it only while it holds the baseline';
COMMENT ON COLUMN task_sync.task.production_quantity IS
    'How many: the planner''s to edit; a sync writes it only while it holds the baseline';
COMMENT ON COLUMN task_sync.task.quantity_completed IS 'How many are done (people''s; never written by a sync)';
COMMENT ON COLUMN task_sync.task.created_at IS 'When it was created';

COMMENT ON COLUMN task_sync.task_dismissal.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.task_dismissal.work_order_process_id IS 'The generation key of the deleted draft: its route row';
COMMENT ON COLUMN task_sync.task_dismissal.task_type IS 'The generation key: task type';
COMMENT ON COLUMN task_sync.task_dismissal.source_kind IS 'The generation key: source kind';
COMMENT ON COLUMN task_sync.task_dismissal.source_id IS 'The generation key: source';
COMMENT ON COLUMN task_sync.task_dismissal.task_id IS 'The id the deleted task had';
COMMENT ON COLUMN task_sync.task_dismissal.dismissed_at IS 'When it was deleted (or taken over as manual)';
COMMENT ON COLUMN task_sync.task_dismissal.dismissed_by IS 'Who: the session''s role (SET ROLE), else its login role';

COMMENT ON COLUMN task_sync.sync_run.id IS 'The sync';
COMMENT ON COLUMN task_sync.sync_run.work_order_id IS 'The work order synced (no foreign key: the audit outlives it)';
COMMENT ON COLUMN task_sync.sync_run.ran_at IS 'When (the transaction''s start)';
COMMENT ON COLUMN task_sync.sync_run.run_by IS 'Who: the caller''s role (SET ROLE), else its login role';
COMMENT ON COLUMN task_sync.sync_run.application_name IS 'The caller''s application_name';
COMMENT ON COLUMN task_sync.sync_run.via IS 'execute or sync_pending';
COMMENT ON COLUMN task_sync.sync_run.plan_hash IS 'The hash of the plan applied (what preview showed, when confirmed by it)';
COMMENT ON COLUMN task_sync.sync_run.from_version IS 'synced_version before the sync';
COMMENT ON COLUMN task_sync.sync_run.to_version IS 'The definition_version synced';
COMMENT ON COLUMN task_sync.sync_run.overwrite_edits IS 'execute''s p_overwrite_edits';
COMMENT ON COLUMN task_sync.sync_run.restore_dismissed IS 'execute''s p_restore_dismissed';
COMMENT ON COLUMN task_sync.sync_run.added IS 'Drafts added';
COMMENT ON COLUMN task_sync.sync_run.removed IS 'Drafts removed';
COMMENT ON COLUMN task_sync.sync_run.updated IS 'Drafts updated';
COMMENT ON COLUMN task_sync.sync_run.conflicts IS 'Conflicts: the planner''s values kept, the baseline moved';

COMMENT ON COLUMN task_sync.sync_item.sync_run_id IS 'The sync (task_sync.sync_run)';
COMMENT ON COLUMN task_sync.sync_item.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.sync_item.task_id IS 'The task added, removed or updated';
COMMENT ON COLUMN task_sync.sync_item.work_order_process_id IS 'Its route row (NULL when the process was deleted)';
COMMENT ON COLUMN task_sync.sync_item.process_code IS 'Its process code, as it was';
COMMENT ON COLUMN task_sync.sync_item.task_type IS 'Its task type';
COMMENT ON COLUMN task_sync.sync_item.source_kind IS 'Its source kind (kept after the kind is dropped)';
COMMENT ON COLUMN task_sync.sync_item.source_id IS 'Its source';
COMMENT ON COLUMN task_sync.sync_item.work_content IS 'work_content after the sync (NULL for remove)';
COMMENT ON COLUMN task_sync.sync_item.production_quantity IS 'production_quantity after the sync (NULL for remove)';
COMMENT ON COLUMN task_sync.sync_item.previous_work_content IS 'work_content before the sync (NULL for add)';
COMMENT ON COLUMN task_sync.sync_item.previous_production_quantity IS 'production_quantity before the sync (NULL for add)';

COMMENT ON COLUMN task_sync.applying.xact IS 'A transaction in which _apply is writing';

COMMENT ON COLUMN task_sync.work_order_source.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.work_order_source.source_kind IS 'The kind (task_sync.source_kind)';
COMMENT ON COLUMN task_sync.work_order_source.source_id IS 'The source: the work order, a catalog row or a line';
COMMENT ON COLUMN task_sync.work_order_source.name IS 'Its name: {source_name}';
COMMENT ON COLUMN task_sync.work_order_source.quantity IS 'A line''s quantity (NULL for others)';

COMMENT ON COLUMN task_sync.sync_history.sync_run_id IS 'The sync (task_sync.sync_run)';
COMMENT ON COLUMN task_sync.sync_history.ran_at IS 'When';
COMMENT ON COLUMN task_sync.sync_history.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.sync_history.order_number IS 'Its order number (NULL once the work order is deleted)';
COMMENT ON COLUMN task_sync.sync_history.run_by IS 'Who';
COMMENT ON COLUMN task_sync.sync_history.via IS 'execute or sync_pending';
COMMENT ON COLUMN task_sync.sync_history.added IS 'Drafts added';
COMMENT ON COLUMN task_sync.sync_history.removed IS 'Drafts removed';
COMMENT ON COLUMN task_sync.sync_history.updated IS 'Drafts updated';
COMMENT ON COLUMN task_sync.sync_history.conflicts IS 'Conflicts: the planner''s values kept';
COMMENT ON COLUMN task_sync.sync_history.overwrite_edits IS 'Run with p_overwrite_edits';
COMMENT ON COLUMN task_sync.sync_history.restore_dismissed IS 'Run with p_restore_dismissed';
COMMENT ON COLUMN task_sync.sync_history.from_version IS 'synced_version before';
COMMENT ON COLUMN task_sync.sync_history.to_version IS 'The definition_version synced';
COMMENT ON COLUMN task_sync.sync_history.application_name IS 'The caller''s application_name';

COMMENT ON COLUMN task_sync.sync_changes.sync_run_id IS 'The sync';
COMMENT ON COLUMN task_sync.sync_changes.ran_at IS 'When';
COMMENT ON COLUMN task_sync.sync_changes.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.sync_changes.order_number IS 'Its order number';
COMMENT ON COLUMN task_sync.sync_changes.action IS 'add, remove, update or conflict';
COMMENT ON COLUMN task_sync.sync_changes.task_id IS 'The task';
COMMENT ON COLUMN task_sync.sync_changes.process_code IS 'Its process code';
COMMENT ON COLUMN task_sync.sync_changes.task_type IS 'Its task type';
COMMENT ON COLUMN task_sync.sync_changes.source_kind IS 'Its source kind';
COMMENT ON COLUMN task_sync.sync_changes.source_id IS 'Its source';
COMMENT ON COLUMN task_sync.sync_changes.change IS 'What changed, in words';

-- the grants as sql/ has them (idempotent): the internal schema, the new functions and tables
REVOKE ALL ON SCHEMA task_sync, task_sync_internal FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;

GRANT task_sync_reader TO task_sync_writer;

-- the internal schema too: the public functions a reader runs call its helpers with the reader's rights
GRANT USAGE ON SCHEMA task_sync, task_sync_internal TO task_sync_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA task_sync TO task_sync_reader;
REVOKE ALL ON task_sync.applying FROM task_sync_reader;
GRANT EXECUTE ON FUNCTION
    task_sync.preview(bigint, boolean, boolean),
    task_sync.plan(bigint, boolean, boolean),
    task_sync.check_sync_needed(bigint),
    task_sync.pending(integer),
    task_sync.plan_pending(integer),
    -- the helpers they call (SECURITY INVOKER functions run with the caller's rights)
    task_sync_internal._check_work_order_id(bigint),
    task_sync_internal._check_flags(boolean, boolean),
    task_sync_internal._work_order(bigint),
    task_sync_internal._may_sync(text, text),
    task_sync_internal._content(text, text, text, text, text),
    task_sync_internal._template_ok(text),
    task_sync_internal._template_pre(text, boolean, text, text, text),
    task_sync_internal._content_from_pre(text, text, text, text, text, text),
    task_sync_internal._content_tokens(text, text, text, text, text),
    task_sync_internal._field_outcome(text, text, text),
    task_sync_internal._field_outcome(integer, integer, integer),
    task_sync_internal._desired(bigint[]),
    task_sync_internal._plan_rows(bigint[], boolean, boolean),
    task_sync_internal._items(task_sync.plan_row[]),
    task_sync_internal._plan_hash(task_sync.plan_row[]),
    task_sync_internal._plan_hashes(task_sync.plan_row[])
TO task_sync_reader;

-- Work orders: their own columns; id only when inserting (positive, a check); never synced_version.
GRANT INSERT (id, order_number, production_quantity, status, approval_status, created_at),
      UPDATE (order_number, production_quantity, status, approval_status),
      DELETE
ON task_sync.work_order TO task_sync_writer;
-- Inputs: every column when inserting; a row's id and work order never change. (The links and
-- lines of each source kind get the same rights from _source_kind_dress.)
GRANT INSERT, DELETE ON task_sync.work_order_process TO task_sync_writer;
GRANT UPDATE (process_id, sequence) ON task_sync.work_order_process TO task_sync_writer;
-- Tasks: people insert manual tasks (origin is left to its default, 'manual', and baselines to
-- NULL), edit the four fields that are theirs, and delete (a deleted generated draft is a
-- dismissal). A generated task's origin, key and baselines are the engine's.
GRANT INSERT (id, work_order_id, work_order_process_id, status, task_type, source_kind, source_id,
              work_content, production_quantity, quantity_completed, created_at),
      UPDATE (work_content, production_quantity, quantity_completed, status),
      DELETE
ON task_sync.task TO task_sync_writer;
GRANT EXECUTE ON FUNCTION
    task_sync.execute(bigint, boolean, text, boolean, boolean),
    task_sync.sync_pending(integer)
TO task_sync_writer;
