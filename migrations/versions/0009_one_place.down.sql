-- 0009_one_place down: back to 0008_fleet.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

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
    gone_key AS (
        SELECT work_order_id, wpk, task_type, source_kind, source_id FROM g
        EXCEPT
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id FROM d
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
           CASE WHEN dismissed AND NOT p_restore_dismissed THEN 'dismissed' ELSE 'add' END,
           NULL::bigint, d.work_order_process_id, d.process_code,
           d.task_type, d.source_kind, d.source_id,
           NULL::text, NULL::text, d.work_content,
           NULL::integer, NULL::integer, d.production_quantity,
           false, '{}'::text[], '{}'::text[],
           dismissed AND p_restore_dismissed, false
    FROM d
    CROSS JOIN LATERAL (
        SELECT (d.work_order_id, d.work_order_process_id, d.task_type, d.source_kind, d.source_id)
               IN (SELECT * FROM dismissed_key) AS dismissed) x
    WHERE (d.work_order_id, d.work_order_process_id, d.task_type, d.source_kind, d.source_id)
          IN (SELECT * FROM missing_key)
    UNION ALL
    -- generated tasks whose key left D
    SELECT g.work_order_id, CASE WHEN g.formal THEN 'orphaned' ELSE 'remove' END, g.id, g.work_order_process_id, p.code,
           g.task_type, g.source_kind, g.source_id,
           g.work_content, g.generated_work_content, NULL::text,
           g.production_quantity, g.generated_production_quantity, NULL::integer,
           g.work_content IS DISTINCT FROM g.generated_work_content
               OR g.production_quantity IS DISTINCT FROM g.generated_production_quantity,
           '{}'::text[], '{}'::text[], false, false
    FROM g
    LEFT JOIN task_sync.work_order_process wop
           ON wop.work_order_id = g.work_order_id AND wop.id = g.work_order_process_id
          AND wop.work_order_id = ANY (p_work_order_ids)   -- bounded scan, also when hashing
    LEFT JOIN task_sync.process p ON p.id = wop.process_id
    WHERE (g.work_order_id, g.wpk, g.task_type, g.source_kind, g.source_id) IN (SELECT * FROM gone_key)
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
    -- a row's id and work order keep their values (by value: ORMs name every column)
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON task_sync.%I'
        ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
        ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns(''work_order_id''%s)',
        task_sync_internal._ident(v_link || '__guard_update'), v_link, CASE WHEN v_lines THEN ', ''id''' ELSE '' END);

    EXECUTE format('GRANT SELECT ON task_sync.%I, task_sync.%I TO task_sync_reader', p_kind, v_link);
    EXECUTE format('GRANT INSERT, UPDATE, DELETE ON task_sync.%I TO task_sync_writer', v_link);

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
                k.kind, k.kind || '_id', 'work_order_' || k.kind, k.kind, k.kind || '_id')
            ELSE format(
                'SELECT l.work_order_id, %L::text AS source_kind, l.id AS source_id, c.name, l.quantity'
                ' FROM task_sync.%I l JOIN task_sync.%I c ON c.id = l.%I%s',
                k.kind, 'work_order_' || k.kind, k.kind, k.kind || '_id',
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
                CASE k.shape WHEN 'link' THEN format('l.%I', k.kind || '_id') ELSE 'l.id' END,
                CASE k.shape WHEN 'link' THEN 'NULL::integer' ELSE 'l.quantity' END,
                'work_order_' || k.kind, k.kind, k.kind || '_id',
                CASE WHEN k.line_filter IS NOT NULL THEN format(' AND l.%I', k.line_filter) ELSE '' END,
                k.kind || '_id', 'work_order_' || k.kind)
            END AS f
        FROM task_sync.source_kind k
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

DROP FUNCTION task_sync_internal._kind_tables(text);
DROP FUNCTION task_sync_internal._field_writes(text, boolean);
DROP FUNCTION task_sync_internal._plan_line(bigint, text, bigint, bigint, text, text, text, bigint, text, text, text, integer, integer, integer, boolean, text[], text[], boolean, boolean);

CREATE OR REPLACE FUNCTION task_sync.sync_pending(p_limit integer DEFAULT NULL, p_skip bigint[] DEFAULT NULL)
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
    c_chunk     CONSTANT integer := 500;    -- work orders per chunk, at least
    c_chunks    CONSTANT integer := 40;     -- chunks the backlog is cut into, at most (when larger)
    c_budget    CONSTANT integer := 60;     -- committed subtransactions per call (PostgreSQL caches 64)
    v_used      integer := 0;               -- committed so far
    v_left      integer := p_limit;         -- how many more may be synced (NULL: no limit)
    c_window    CONSTANT integer := 10000;  -- the oldest marks searched first
    v_size      integer;                    -- work orders per chunk
    v_backlog   bigint;                     -- how many wait (counted for a large call only)
    v_pass      integer;
    v_want      integer;
    v_scanned   bigint;                     -- the oldest marks read
    v_closed    bigint[];                   -- closed jobs with marks, met among them
    v_seen      bigint[] := coalesce(p_skip, '{}'::bigint[]);  -- tried in this call, or not to be tried
    v_try       bigint[];                   -- the chunk's candidates
    v_ranges    integer[] := '{}'::integer[];          -- queue of groups of the chunk: (first, last) index pairs into v_try
    v_busy      bigint[] := '{}'::bigint[];           -- found busy in this call: left out of every group
    v_first     integer;
    v_last      integer;
    v_group     bigint[];
    v_claim     record;
    v_marks     bigint[];
    v_rows      task_sync.plan_row[];
    v_route     bigint[];
    v_state     text;
    v_message   text;
    v_detail    text;
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.sync_pending');
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;
    -- the chunks' size: a fortieth of a large backlog (counted only for a call that may sync more
    -- than a chunk)
    v_size := c_chunk;
    IF p_limit IS NULL OR p_limit > c_chunk THEN
        v_backlog := (SELECT count(*) FROM task_sync_internal._queue() c WHERE c.may_sync);
        v_size := greatest(c_chunk, ceil(least(v_backlog, coalesce(p_limit, v_backlog))::numeric / c_chunks)::integer);
    END IF;
    -- the first pass always runs: sync_pending(0) parks the closed jobs' marks and syncs nothing
    v_pass := 0;
    WHILE (v_pass = 0 OR v_left IS NULL OR v_left > 0) AND v_used < c_budget LOOP
        v_pass := v_pass + 1;
        v_want := least(v_size, coalesce(v_left, v_size));
        -- 1. candidates, longest waiting first, read without locking: first among the oldest marks
        -- only (an index scan of c_window rows: what waits longest is there, however many marks a
        -- storm of rule changes left behind it), and from every mark when those hold too few. The
        -- closed jobs met on the way have their marks parked.
        WITH oldest AS MATERIALIZED (
            SELECT m.work_order_id, m.marked_at
            FROM task_sync.work_order_mark m
            ORDER BY m.marked_at, m.id
            LIMIT c_window
        ),
        queue AS MATERIALIZED (
            SELECT o.work_order_id, min(o.marked_at) AS since,
                   task_sync_internal._may_sync(w.status, w.approval_status) AS may_sync, w.synced_version
            FROM oldest o
            JOIN task_sync.work_order w ON w.id = o.work_order_id
            GROUP BY o.work_order_id, w.status, w.approval_status, w.synced_version
        )
        SELECT ARRAY(SELECT q.work_order_id FROM queue q
                     WHERE q.may_sync AND q.work_order_id <> ALL (v_seen)
                       AND NOT task_sync_internal._failure_pause(q.work_order_id, q.synced_version)
                     ORDER BY q.since, q.work_order_id
                     LIMIT v_want),
               ARRAY(SELECT q.work_order_id FROM queue q WHERE NOT q.may_sync),
               (SELECT count(*) FROM oldest)
        INTO v_try, v_closed, v_scanned;
        IF cardinality(v_try) < v_want AND v_scanned = c_window THEN
            v_try := ARRAY(
                SELECT c.work_order_id FROM task_sync_internal._queue() c
                WHERE c.may_sync AND c.work_order_id <> ALL (v_seen)
                  AND NOT task_sync_internal._failure_pause(c.work_order_id, c.synced_version)
                ORDER BY c.pending_since, c.work_order_id
                LIMIT v_want);
        END IF;
        IF cardinality(v_closed) > 0 THEN
            PERFORM task_sync_internal._park_marks(v_closed);
        END IF;
        EXIT WHEN cardinality(v_try) = 0;
        v_seen := v_seen || v_try;
        v_ranges := ARRAY[1, cardinality(v_try)];

        WHILE cardinality(v_ranges) > 0 AND v_used < c_budget LOOP
            v_first := v_ranges[1];
            v_last := v_ranges[2];
            v_ranges := v_ranges[3:];
            v_group := ARRAY(SELECT g FROM unnest(v_try[v_first:v_last]) AS g WHERE g <> ALL (v_busy));
            CONTINUE WHEN cardinality(v_group) = 0;
            BEGIN
                -- 2. claim
                v_claim := task_sync_internal._claim(v_group);
                IF cardinality(v_claim.busy) > 0 THEN
                    -- roll this attempt back, so that no lock of a busy work order is kept
                    RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'busy work orders', DETAIL = v_claim.busy::text;
                END IF;
                -- 3. the marks first, the plan after; a work order whose marks are gone was synced by
                -- another session since the candidates were read: not this one's
                SELECT coalesce(array_agg(m.id), '{}'), coalesce(array_agg(DISTINCT m.work_order_id), '{}')
                INTO v_marks, v_group
                FROM task_sync.work_order_mark m
                WHERE m.work_order_id = ANY (v_claim.claimed);
                IF cardinality(v_group) > 0 THEN
                    -- for a client that asked for DEBUG messages (the worker: which work orders a
                    -- statement_timeout cut short)
                    RAISE DEBUG USING MESSAGE = 'pytask_sync: syncing work orders', DETAIL = v_group::text;
                    SELECT coalesce(array_agg(r), '{}'),
                           coalesce(array_agg(DISTINCT r.work_order_process_id) FILTER (WHERE r.action = 'add'), '{}')
                    INTO v_rows, v_route
                    FROM task_sync_internal._plan_rows(v_group) AS r;
                    IF cardinality(v_route) > 0 THEN
                        v_route := task_sync_internal._hold_route(v_group, v_route);
                        v_claim.busy := ARRAY(
                            SELECT DISTINCT r.work_order_id
                            FROM unnest(v_rows) AS r
                            WHERE r.action = 'add' AND r.work_order_process_id <> ALL (v_route));
                        IF cardinality(v_claim.busy) > 0 THEN
                            RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'busy work orders', DETAIL = v_claim.busy::text;
                        END IF;
                    END IF;
                    -- 4. apply
                    RETURN QUERY
                        SELECT a.work_order_id, a.added, a.removed, a.updated, a.conflicts, a.sync_run_id
                        FROM task_sync_internal._apply(v_group, v_rows, false, false, 'sync_pending', v_marks) AS a;
                    v_left := v_left - cardinality(v_group);
                END IF;
                v_used := v_used + 1;
            EXCEPTION
                WHEN SQLSTATE 'TSR01' THEN
                    -- the attempt's locks are released: claim the group again without the busy ones
                    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
                    v_busy := v_busy || v_detail::bigint[];
                    v_ranges := ARRAY[v_first, v_last] || v_ranges;
                WHEN SQLSTATE '40001' OR SQLSTATE '40P01' OR SQLSTATE '55P03' THEN
                    RAISE;  -- the caller's to retry
                WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                            v_detail = PG_EXCEPTION_DETAIL;
                    IF left(v_state, 2) IN ('53', '54', '57', '58', 'XX') THEN
                        RAISE;  -- resources, or the server itself: not one work order's doing
                    END IF;
                    IF cardinality(v_group) > 1 THEN
                        -- again in halves, down to the one that fails
                        v_ranges := ARRAY[v_first, (v_first + v_last) / 2, (v_first + v_last) / 2 + 1, v_last] || v_ranges;
                    ELSE
                        PERFORM task_sync_internal._record_failure(v_group[1], v_state, v_message, v_detail);
                    END IF;
            END;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION task_sync.sync_pending(integer, bigint[]) IS
    'sync_pending(p_limit NULL, p_skip NULL) -> rows: syncs pending work orders set-based (at most p_limit; '
    'NULL: all; never those in p_skip), never waiting: what another session holds stays pending, a work '
    'order whose sync fails is recorded in sync_failure and the others are synced. TSC07: a read-only '
    'transaction (run it on the primary); TSV01: negative limit';

DROP FUNCTION task_sync_internal._attempt(bigint[]);
DROP FUNCTION task_sync_internal._candidates(integer, bigint[]);
DROP TYPE task_sync_internal.synced;
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
-- Generic plans, from the first call: planning the desired set, the plan and the writes for one
-- work order took about half of a small execute (measured on PostgreSQL 18: 13 ms per call
-- with the planner's own choice, which kept planning custom plans, 6 ms with generic ones), and
-- a generic plan built with nested loops off stays linear at any size (the cliff above). Applies
-- to the SQL functions execute calls too, which cache plans from PostgreSQL 18 on.
SET plan_cache_mode = force_generic_plan
-- No parallel workers: one work order's reads are index lookups; a Gather started two workers per
-- call where a hash join read a whole catalog (the catalogs' names are index lookups now, see
-- _source_view_build), and starting them costs more than a call's work.
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v_wo    task_sync.work_order;
    v_rows  task_sync.plan_row[];
    v_hash  text;
    v_marks bigint[];
    v_route bigint[];   -- the route rows the plan adds drafts for
    v_res   record;
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.execute');
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
    SELECT coalesce(array_agg(r), '{}'),
           coalesce(array_agg(DISTINCT r.work_order_process_id) FILTER (WHERE r.action = 'add'), '{}')
    INTO v_rows, v_route
    FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r;
    v_hash := task_sync_internal._plan_hash(v_rows);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash <> v_hash THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC02',
            MESSAGE = format('stale plan for work order %s: the plan changed since it was previewed', p_work_order_id),
            DETAIL = format('expected plan_hash %s, current plan_hash %s', p_expected_plan_hash, v_hash),
            HINT = 'Preview again (with the same flags) and confirm the new plan.';
    END IF;

    -- the route rows the plan adds drafts for, held from here on: a route row added since the route
    -- was locked above is not held yet, and one deleted since the plan was read is gone (its drafts
    -- would fail their foreign key): the plan is stale, 40001 (retry)
    IF cardinality(v_route) > 0
       AND cardinality(task_sync_internal._hold_route(ARRAY[p_work_order_id], v_route)) <> cardinality(v_route) THEN
        RAISE EXCEPTION USING
            ERRCODE = '40001',
            MESSAGE = format('the route of work order %s changed while its plan was computed', p_work_order_id),
            HINT = 'Retry the sync.';
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
    'plan_hash, a changed plan is refused. TSC07: a read-only transaction (run it on the primary); TSV01: invalid id, malformed hash or a NULL flag; TSC01: '
    'p_confirmed not true; TSN01: work order not found; TSC03: work order may not be synced; TSC02: '
    'stale plan (nothing changed); 40001: the route changed under the sync (retry)';

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
        RETURNING m.work_order_id, m.weight
    ),
    taken_per_wo AS (
        SELECT taken.work_order_id, sum(taken.weight) AS n FROM taken GROUP BY taken.work_order_id
    ),
    recovered AS (
        -- side effect only: a work order synced is no longer a failed one
        DELETE FROM task_sync.sync_failure f
        WHERE f.work_order_id = ANY (p_work_order_ids)
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

DROP FUNCTION task_sync_internal._write_books(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text, task_sync_internal.change[]);
DROP FUNCTION task_sync_internal._write_tasks(bigint[], task_sync.plan_row[], boolean);
DROP TYPE task_sync_internal.change;
-- the catalogs' rename triggers without arguments, as before
CREATE OR REPLACE TRIGGER process__mark_update AFTER UPDATE ON task_sync.process
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_catalog__mark();
DO $do$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT s.kind FROM task_sync.source_kind s WHERE s.shape <> 'work_order' ORDER BY s.kind LOOP
        EXECUTE format(
            'CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON task_sync.%I'
            ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
            ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_catalog__mark()',
            task_sync_internal._ident(k.kind || '__mark_update'), k.kind);
    END LOOP;
END
$do$;

GRANT EXECUTE ON FUNCTION task_sync_internal._content(text, text, text, text, text) TO task_sync_reader;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
