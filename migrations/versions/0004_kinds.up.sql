-- 0004_kinds up: component kinds are data, like rules; psql as the reference.
--   * task_sync.source_kind registers every kind (the seven built-in ones here); the view
--     work_order_source, rebuilt from it, is how _desired reads every kind;
--   * generation_rule.source_kind and task.source_kind are foreign keys to the registry (were
--     CHECK lists); quantity_source 'source' for line kinds only is a trigger (was a CHECK);
--   * create_source_kind / drop_source_kind (owner only); the built-in kinds' tables get the
--     comments every kind's tables have (_source_kind_dress);
--   * plan_pending: the plans of every pending work order, for a fleet-wide what-if;
--   * every column has a comment, every public function's comment names its parameters and
--     SQLSTATEs; sync_history and sync_changes make the audit readable.
-- Frozen copy of the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

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

CREATE FUNCTION task_sync._ident(p_name text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN octet_length(p_name) <= 63 THEN p_name
                ELSE left(p_name, 54) || '_' || left(md5(p_name), 8) END
$$;

COMMENT ON FUNCTION task_sync._ident(text) IS
    'A built name that fits 63 bytes: itself, or a prefix and a hash (never a silent truncation)';

CREATE FUNCTION task_sync._source_view_build()
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

COMMENT ON FUNCTION task_sync._source_view_build() IS
    'Rebuilds the view work_order_source from the registry of source kinds';

CREATE FUNCTION task_sync._source_kind_dress(p_kind text)
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
            ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_work_order_input__mark()',
            task_sync._ident(v_link || '__mark_' || v_op), upper(v_op), v_link,
            CASE v_op WHEN 'insert' THEN 'NEW TABLE AS new_rows'
                      WHEN 'update' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                      ELSE 'OLD TABLE AS old_rows' END);
    END LOOP;
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I AFTER TRUNCATE ON task_sync.%I'
        ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_any__mark_truncate()',
        task_sync._ident(v_link || '__mark_truncate'), v_link);
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON task_sync.%I'
        ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
        ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync.tg_catalog__mark()',
        task_sync._ident(p_kind || '__mark_update'), p_kind);

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

COMMENT ON FUNCTION task_sync._source_kind_dress(text) IS
    'Gives a registered kind''s tables their triggers, grants and comments (idempotent)';

CREATE FUNCTION task_sync.create_source_kind(p_kind text, p_lines boolean DEFAULT false)
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
        p_kind, task_sync._ident(p_kind || '_pkey'), task_sync._ident(p_kind || '__code_key'));
    IF p_lines THEN
        EXECUTE format(
            'CREATE TABLE task_sync.%1$I ('
            ' id bigint GENERATED BY DEFAULT AS IDENTITY, work_order_id bigint NOT NULL,'
            ' %2$I bigint NOT NULL, quantity integer NOT NULL DEFAULT 0,'
            ' CONSTRAINT %3$I PRIMARY KEY (work_order_id, id), CONSTRAINT %4$I UNIQUE (id),'
            ' CONSTRAINT %5$I CHECK (id > 0), CONSTRAINT %6$I CHECK (quantity >= 0),'
            ' CONSTRAINT %7$I FOREIGN KEY (work_order_id) REFERENCES task_sync.work_order (id) ON DELETE CASCADE,'
            ' CONSTRAINT %8$I FOREIGN KEY (%2$I) REFERENCES task_sync.%9$I (id) ON DELETE RESTRICT)',
            v_link, v_ref, task_sync._ident(v_link || '_pkey'), task_sync._ident(v_link || '__id_key'),
            task_sync._ident(v_link || '__id_check'), task_sync._ident(v_link || '__quantity_check'),
            task_sync._ident(v_link || '__work_order_id_fkey'), task_sync._ident(v_link || '__' || v_ref || '_fkey'),
            p_kind);
    ELSE
        EXECUTE format(
            'CREATE TABLE task_sync.%1$I ('
            ' work_order_id bigint NOT NULL, %2$I bigint NOT NULL,'
            ' CONSTRAINT %3$I PRIMARY KEY (work_order_id, %2$I),'
            ' CONSTRAINT %4$I FOREIGN KEY (work_order_id) REFERENCES task_sync.work_order (id) ON DELETE CASCADE,'
            ' CONSTRAINT %5$I FOREIGN KEY (%2$I) REFERENCES task_sync.%6$I (id) ON DELETE RESTRICT)',
            v_link, v_ref, task_sync._ident(v_link || '_pkey'), task_sync._ident(v_link || '__work_order_id_fkey'),
            task_sync._ident(v_link || '__' || v_ref || '_fkey'), p_kind);
    END IF;
    -- a catalog row's links, for ON DELETE RESTRICT and for marking after a rename
    EXECUTE format('CREATE INDEX %I ON task_sync.%I (%I)',
                   task_sync._ident(v_link || '__' || v_ref || '_idx'), v_link, v_ref);
    PERFORM task_sync._source_kind_dress(p_kind);
    PERFORM task_sync._source_view_build();
END
$$;

COMMENT ON FUNCTION task_sync.create_source_kind(text, boolean) IS
    'Adds a source kind: create_source_kind(p_kind, p_lines) makes its catalog and its link (p_lines false) or line '
    '(p_lines true) table, marking triggers, grants and comments; rules and tasks accept it at once. Owner only. '
    'TSV01: bad, taken or existing name, or a null flag';

CREATE FUNCTION task_sync.drop_source_kind(p_kind text)
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
    PERFORM task_sync._source_view_build();
    EXECUTE format('DROP TABLE task_sync.%I, task_sync.%I', 'work_order_' || p_kind, p_kind);
END
$$;

COMMENT ON FUNCTION task_sync.drop_source_kind(text) IS
    'Drops a created source kind and its tables: drop_source_kind(p_kind). Owner only. '
    'TSV01: not a kind or a built-in one; TSC06: a rule or task still uses it';

CREATE FUNCTION task_sync.tg_generation_rule__check_quantity()
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

COMMENT ON FUNCTION task_sync.tg_generation_rule__check_quantity() IS
    'Refuses quantity_source source for a kind that is not a line kind (23514)';

CREATE FUNCTION task_sync.plan_pending(p_limit integer DEFAULT NULL)
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
        FROM task_sync._items(ARRAY(
                SELECT r
                FROM task_sync._plan_rows(ARRAY(SELECT p.work_order_id FROM task_sync.pending(p_limit) AS p)) AS r)) AS i
        ORDER BY i.ord;
END
$$;

COMMENT ON FUNCTION task_sync.plan_pending(integer) IS
    'plan_pending(p_limit): the visible plan items of every pending work order (at most p_limit, NULL: all), '
    'set-based and read-only: a fleet-wide what-if of a rule change inside a rolled-back transaction. TSV01: negative limit';

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
        -- every kind read the same way: the view built from the registry of kinds
        SELECT s.work_order_id, s.source_kind AS kind, s.source_id, s.name, s.quantity
        FROM task_sync.work_order_source s
        WHERE s.work_order_id = ANY (p_work_order_ids)
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

SELECT task_sync._source_view_build();

ALTER TABLE task_sync.generation_rule
    DROP CONSTRAINT generation_rule__source_kind_check,
    DROP CONSTRAINT generation_rule__quantity_source_source_kind_check,
    ADD CONSTRAINT generation_rule__source_kind_fkey FOREIGN KEY (source_kind)
        REFERENCES task_sync.source_kind (kind) ON DELETE RESTRICT;
CREATE TRIGGER generation_rule__check_quantity BEFORE INSERT OR UPDATE OF source_kind, quantity_source
    ON task_sync.generation_rule
    FOR EACH ROW EXECUTE FUNCTION task_sync.tg_generation_rule__check_quantity();
ALTER TABLE task_sync.task
    DROP CONSTRAINT task__source_kind_check,
    ADD CONSTRAINT task__source_kind_fkey FOREIGN KEY (source_kind)
        REFERENCES task_sync.source_kind (kind) ON DELETE RESTRICT;

-- the built-in kinds' tables: the same triggers (replaced by themselves), grants and comments as
-- any kind's
SELECT task_sync._source_kind_dress(k.kind) FROM task_sync.source_kind k WHERE k.shape <> 'work_order' ORDER BY k.kind;
COMMENT ON COLUMN task_sync.work_order_material.need_cutting IS
    'A material line is a source (a cutting task, say) only when it needs cutting';

GRANT SELECT ON task_sync.source_kind, task_sync.work_order_source TO task_sync_reader;
GRANT EXECUTE ON FUNCTION task_sync.plan_pending(integer) TO task_sync_reader;

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

-- public functions: comments that name their parameters and SQLSTATEs
COMMENT ON FUNCTION task_sync.preview(bigint, boolean, boolean) IS
    'preview(p_work_order_id, p_overwrite_edits false, p_restore_dismissed false) -> jsonb: what '
    'execute with the same flags would do to the work order, item by item, with its plan_hash; '
    'changes nothing. TSV01: invalid id or a NULL flag; TSN01: work order not found';

COMMENT ON FUNCTION task_sync.plan(bigint, boolean, boolean) IS
    'plan(p_work_order_id, p_overwrite_edits false, p_restore_dismissed false) -> rows: the items of '
    'preview with the same flags, for psql. TSV01: invalid id or a NULL flag; TSN01: work order not '
    'found';

COMMENT ON FUNCTION task_sync.execute(bigint, boolean, text, boolean, boolean) IS
    'execute(p_work_order_id, p_confirmed false, p_expected_plan_hash NULL, p_overwrite_edits false, '
    'p_restore_dismissed false) -> jsonb: syncs one work order atomically; with the previewed '
    'plan_hash, a changed plan is refused. TSV01: invalid id, malformed hash or a NULL flag; TSC01: '
    'p_confirmed not true; TSN01: work order not found; TSC03: work order may not be synced; TSC02: '
    'stale plan (nothing changed); 40001: the route changed under the sync (retry)';

COMMENT ON FUNCTION task_sync.check_sync_needed(bigint) IS
    'check_sync_needed(p_work_order_id) -> boolean: true when the work order''s inputs changed since '
    'its last sync. TSV01: invalid id; TSN01: work order not found';

COMMENT ON FUNCTION task_sync.pending(integer) IS
    'pending(p_limit NULL) -> rows: work orders that need a sync and may be synced, longest waiting '
    'first (at most p_limit; NULL: all). TSV01: negative limit';

COMMENT ON FUNCTION task_sync.sync_pending(integer) IS
    'sync_pending(p_limit NULL) -> rows: syncs pending work orders set-based (at most p_limit; NULL: '
    'all), never waiting: what another session holds stays pending. TSV01: negative limit';

COMMENT ON FUNCTION task_sync.repair_marks() IS
    'repair_marks() -> integer: marks every work order whose plan has something to do but that is not '
    'pending (after loads with triggers off); returns how many. Owner only. TSC05: not READ COMMITTED';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync FROM PUBLIC;
