-- 0009_one_place up: each decision written once, behaviour unchanged.
--   * The three-way rule's second half, which outcomes the sync writes (update; conflict when it
--     overwrites edits), is _field_writes, read by _plan_rows and _field_write.
--   * A kind's table names (work_order_<kind>, <kind>_id) are _kind_tables, read by
--     create_source_kind, _source_kind_dress, _source_view_build and drop_source_kind; the
--     catalogs' rename triggers are given them as arguments (the process catalog: the route).
--   * A plan's lines are built by name: _plan_line takes plan_row's columns as named parameters,
--     with the defaults of a line that does not set them.
--   * _content (called by nothing since the desired set runs its three steps) is dropped.
--   * sync_pending is a short body of named steps: _candidates (step 1) and _attempt (steps 2 to 4
--     for a group, rolled back unless it synced it), whose result the loop reads.
--   * _apply is two parts, each one statement: _write_tasks returns the changes it made
--     (task_sync_internal.change), _write_books takes in the marks and writes versions and the audit.
--   * execute locks the route twice, not three times: the NOWAIT re-lock after the work order's
--     lock is gone (_hold_route catches what it caught).
-- Frozen from the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE OR REPLACE FUNCTION task_sync_internal._field_writes(p_outcome text, p_overwrite boolean)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN p_outcome = 'update' OR (p_outcome = 'conflict' AND p_overwrite);

COMMENT ON FUNCTION task_sync_internal._field_writes(text, boolean) IS
    'Whether a sync writes the rule value into a field of this three-way outcome (conflicts only when overwriting)';

CREATE OR REPLACE FUNCTION task_sync_internal._field_write(p_current text, p_baseline text, p_desired text, p_overwrite boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN task_sync_internal._field_writes(task_sync_internal._field_outcome(p_current, p_baseline, p_desired),
                                                  p_overwrite)
            THEN p_desired ELSE p_current END;

COMMENT ON FUNCTION task_sync_internal._field_write(text, text, text, boolean) IS
    'The value a sync leaves in one generated field, by its three-way outcome';

CREATE OR REPLACE FUNCTION task_sync_internal._field_write(p_current integer, p_baseline integer, p_desired integer, p_overwrite boolean)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN task_sync_internal._field_writes(task_sync_internal._field_outcome(p_current, p_baseline, p_desired),
                                                  p_overwrite)
            THEN p_desired ELSE p_current END;

COMMENT ON FUNCTION task_sync_internal._field_write(integer, integer, integer, boolean) IS
    'The value a sync leaves in one generated field, by its three-way outcome';

CREATE OR REPLACE FUNCTION task_sync_internal._kind_tables(p_kind text, OUT link_table text, OUT id_column text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT 'work_order_' || p_kind, p_kind || '_id';
END;

COMMENT ON FUNCTION task_sync_internal._kind_tables(text) IS
    'The link or line table of a source kind and its column that points at the catalog: work_order_<kind>, <kind>_id';

CREATE OR REPLACE FUNCTION task_sync_internal._plan_line(
    work_order_id bigint,
    action text,
    task_id bigint DEFAULT NULL,
    work_order_process_id bigint DEFAULT NULL,
    process_code text DEFAULT NULL,
    task_type text DEFAULT NULL,
    source_kind text DEFAULT NULL,
    source_id bigint DEFAULT NULL,
    current_work_content text DEFAULT NULL,
    baseline_work_content text DEFAULT NULL,
    desired_work_content text DEFAULT NULL,
    current_production_quantity integer DEFAULT NULL,
    baseline_production_quantity integer DEFAULT NULL,
    desired_production_quantity integer DEFAULT NULL,
    edited boolean DEFAULT false,
    update_fields text[] DEFAULT '{}',
    conflict_fields text[] DEFAULT '{}',
    restored boolean DEFAULT false,
    overwritten boolean DEFAULT false)
RETURNS task_sync.plan_row
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ROW(work_order_id, action, task_id, work_order_process_id, process_code, task_type, source_kind, source_id,
           current_work_content, baseline_work_content, desired_work_content,
           current_production_quantity, baseline_production_quantity, desired_production_quantity,
           edited, update_fields, conflict_fields, restored, overwritten)::task_sync.plan_row;

COMMENT ON FUNCTION task_sync_internal._plan_line(bigint, text, bigint, bigint, text, text, text, bigint, text, text, text, integer, integer, integer, boolean, text[], text[], boolean, boolean) IS
    'A line of a plan built by name (named notation; unset columns take a line''s defaults)';

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
    -- each line built by name (_plan_line); the three kinds of line:
    -- keys in D with no generated task
    SELECT (task_sync_internal._plan_line(
               work_order_id => d.work_order_id,
               action => CASE WHEN dismissed AND NOT p_restore_dismissed THEN 'dismissed' ELSE 'add' END,
               work_order_process_id => d.work_order_process_id, process_code => d.process_code,
               task_type => d.task_type, source_kind => d.source_kind, source_id => d.source_id,
               desired_work_content => d.work_content, desired_production_quantity => d.production_quantity,
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
               current_work_content => g.work_content, baseline_work_content => g.generated_work_content,
               current_production_quantity => g.production_quantity,
               baseline_production_quantity => g.generated_production_quantity,
               edited => g.work_content IS DISTINCT FROM g.generated_work_content
                         OR g.production_quantity IS DISTINCT FROM g.generated_production_quantity)).*
    FROM g
    LEFT JOIN task_sync.work_order_process wop
           ON wop.work_order_id = g.work_order_id AND wop.id = g.work_order_process_id
          AND wop.work_order_id = ANY (p_work_order_ids)   -- bounded scan, also when hashing
    LEFT JOIN task_sync.process p ON p.id = wop.process_id
    WHERE (g.work_order_id, g.wpk, g.task_type, g.source_kind, g.source_id) IN (SELECT * FROM gone_key)
    UNION ALL
    -- drafts whose key is in D, three ways: a conflict the sync does not write stays a conflict,
    -- any field it writes makes an update (_field_writes), else the draft is kept
    SELECT (task_sync_internal._plan_line(
               work_order_id => m.work_order_id,
               action => CASE WHEN (m.wc = 'conflict' AND NOT task_sync_internal._field_writes(m.wc, p_overwrite_edits))
                                   OR (m.pq = 'conflict' AND NOT task_sync_internal._field_writes(m.pq, p_overwrite_edits))
                              THEN 'conflict'
                              WHEN task_sync_internal._field_writes(m.wc, p_overwrite_edits)
                                   OR task_sync_internal._field_writes(m.pq, p_overwrite_edits) THEN 'update'
                              ELSE 'keep' END,
               task_id => m.id, work_order_process_id => m.work_order_process_id, process_code => m.process_code,
               task_type => m.task_type, source_kind => m.source_kind, source_id => m.source_id,
               current_work_content => m.work_content, baseline_work_content => m.generated_work_content,
               desired_work_content => m.desired_work_content,
               current_production_quantity => m.production_quantity,
               baseline_production_quantity => m.generated_production_quantity,
               desired_production_quantity => m.desired_production_quantity,
               edited => m.work_content IS DISTINCT FROM m.generated_work_content
                         OR m.production_quantity IS DISTINCT FROM m.generated_production_quantity,
               update_fields => array_remove(ARRAY[
                   CASE WHEN task_sync_internal._field_writes(m.wc, p_overwrite_edits) THEN 'work_content' END,
                   CASE WHEN task_sync_internal._field_writes(m.pq, p_overwrite_edits) THEN 'production_quantity' END],
                   NULL),
               conflict_fields => array_remove(ARRAY[CASE WHEN m.wc = 'conflict' THEN 'work_content' END,
                                                     CASE WHEN m.pq = 'conflict' THEN 'production_quantity' END], NULL),
               overwritten => p_overwrite_edits AND 'conflict' IN (m.wc, m.pq))).*
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
    v_link  text;
    v_ref   text;
    v_op    text;
BEGIN
    SELECT n.link_table, n.id_column INTO v_link, v_ref FROM task_sync_internal._kind_tables(p_kind) n;
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
        ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_catalog__mark(%L, %L)',
        task_sync_internal._ident(p_kind || '__mark_update'), p_kind, v_link, v_ref);
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

CREATE OR REPLACE FUNCTION task_sync.create_source_kind(p_kind text, p_lines boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_link  text;
    v_ref   text;
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
    SELECT n.link_table, n.id_column INTO v_link, v_ref FROM task_sync_internal._kind_tables(p_kind) n;
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
    EXECUTE format('DROP TABLE task_sync.%I, task_sync.%I', (task_sync_internal._kind_tables(p_kind)).link_table, p_kind);
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
        TG_ARGV[0], TG_ARGV[1])
    INTO v_ids
    USING v_changed;
    PERFORM task_sync_internal._mark(v_ids);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_catalog__mark() IS
    'Marks work orders that use a renamed catalog row, after locking it against concurrent links';

DROP FUNCTION task_sync_internal._content(text, text, text, text, text);

-- What one work order's sync by sync_pending did: a row of its result, as _attempt hands it back.
CREATE TYPE task_sync_internal.synced AS (
    work_order_id   bigint,
    added           integer,
    removed         integer,
    updated         integer,
    conflicts       integer,
    sync_run_id     bigint     -- null when nothing changed
);
COMMENT ON TYPE task_sync_internal.synced IS 'What one work order''s sync by sync_pending did (a row of its result)';

CREATE OR REPLACE FUNCTION task_sync_internal._candidates(p_want integer, p_seen bigint[], OUT try bigint[], OUT closed bigint[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_window    CONSTANT integer := 10000;  -- the oldest marks searched first
    v_scanned   bigint;                     -- how many of them there were
BEGIN
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
                 WHERE q.may_sync AND q.work_order_id <> ALL (p_seen)
                   AND NOT task_sync_internal._failure_pause(q.work_order_id, q.synced_version)
                 ORDER BY q.since, q.work_order_id
                 LIMIT p_want),
           ARRAY(SELECT q.work_order_id FROM queue q WHERE NOT q.may_sync),
           (SELECT count(*) FROM oldest)
    INTO try, closed, v_scanned;
    IF cardinality(try) < p_want AND v_scanned = c_window THEN
        try := ARRAY(
            SELECT c.work_order_id FROM task_sync_internal._queue() c
            WHERE c.may_sync AND c.work_order_id <> ALL (p_seen)
              AND NOT task_sync_internal._failure_pause(c.work_order_id, c.synced_version)
            ORDER BY c.pending_since, c.work_order_id
            LIMIT p_want);
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._candidates(integer, bigint[]) IS
    'The next work orders sync_pending tries, longest waiting first, and the closed ones met among the oldest marks';

CREATE OR REPLACE FUNCTION task_sync_internal._attempt(
    p_work_order_ids bigint[],
    OUT synced task_sync_internal.synced[], OUT busy bigint[],
    OUT failed_state text, OUT failed_message text, OUT failed_detail text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_claim     record;
    v_group     bigint[];
    v_marks     bigint[];
    v_rows      task_sync.plan_row[];
    v_route     bigint[];   -- the route rows the plan adds drafts for
BEGIN
    synced := '{}';
    BEGIN
        -- 2. claim
        v_claim := task_sync_internal._claim(p_work_order_ids);
        busy := v_claim.busy;
        -- 3. the marks first, the plan after
        IF cardinality(busy) = 0 THEN
            SELECT coalesce(array_agg(m.id), '{}'), coalesce(array_agg(DISTINCT m.work_order_id), '{}')
            INTO v_marks, v_group
            FROM task_sync.work_order_mark m
            WHERE m.work_order_id = ANY (v_claim.claimed);
        END IF;
        IF cardinality(busy) = 0 AND cardinality(v_group) > 0 THEN
            -- for a client that asked for DEBUG messages (the worker: which work orders a
            -- statement_timeout cut short)
            RAISE DEBUG USING MESSAGE = 'pytask_sync: syncing work orders', DETAIL = v_group::text;
            SELECT coalesce(array_agg(r), '{}'),
                   coalesce(array_agg(DISTINCT r.work_order_process_id) FILTER (WHERE r.action = 'add'), '{}')
            INTO v_rows, v_route
            FROM task_sync_internal._plan_rows(v_group) AS r;
            IF cardinality(v_route) > 0 THEN
                v_route := task_sync_internal._hold_route(v_group, v_route);
                busy := ARRAY(SELECT DISTINCT r.work_order_id
                              FROM unnest(v_rows) AS r
                              WHERE r.action = 'add' AND r.work_order_process_id <> ALL (v_route));
            END IF;
        END IF;
        IF cardinality(busy) > 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'busy work orders';  -- roll back: keep no lock
        END IF;
        -- 4. apply
        IF cardinality(v_group) > 0 THEN
            synced := ARRAY(
                SELECT ROW(a.work_order_id, a.added, a.removed, a.updated, a.conflicts,
                           a.sync_run_id)::task_sync_internal.synced
                FROM task_sync_internal._apply(v_group, v_rows, false, false, 'sync_pending', v_marks) AS a);
        END IF;
    EXCEPTION
        WHEN SQLSTATE 'TSR01' THEN
            NULL;   -- busy says which
        WHEN SQLSTATE '40001' OR SQLSTATE '40P01' OR SQLSTATE '55P03' THEN
            RAISE;  -- the caller's to retry
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS failed_state = RETURNED_SQLSTATE, failed_message = MESSAGE_TEXT,
                                    failed_detail = PG_EXCEPTION_DETAIL;
            IF left(failed_state, 2) IN ('53', '54', '57', '58', 'XX') THEN
                RAISE;  -- resources, or the server itself: not one work order's doing
            END IF;
            synced := '{}';
    END;
END
$$;

COMMENT ON FUNCTION task_sync_internal._attempt(bigint[]) IS
    'One group of sync_pending: claim, plan, apply, kept only when synced; says which were busy or what failed';

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
-- the planner settings and why: docs/scaling.md, "The planner settings of the engine's calls"
SET enable_nestloop = off
SET jit = off
AS $$
DECLARE
    c_chunk     CONSTANT integer := 500;    -- work orders per chunk, at least
    c_chunks    CONSTANT integer := 40;     -- chunks the backlog is cut into, at most (when larger)
    c_budget    CONSTANT integer := 60;     -- committed subtransactions per call (PostgreSQL caches 64)
    v_used      integer := 0;               -- committed so far
    v_left      integer := p_limit;         -- how many more may be synced (NULL: no limit)
    v_size      integer := c_chunk;         -- work orders per chunk
    v_pass      integer := 0;
    v_seen      bigint[] := coalesce(p_skip, '{}'::bigint[]);  -- tried in this call, or not to be tried
    v_next      record;                     -- the chunk: candidates, and closed jobs met
    v_ranges    integer[];                  -- groups of the chunk still to try: (first, last) index pairs
    v_busy      bigint[] := '{}'::bigint[]; -- found busy in this call: left out of every group
    v_first     integer;
    v_last      integer;
    v_group     bigint[];
    v_try       record;                     -- what an attempt did
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
    IF p_limit IS NULL OR p_limit > c_chunk THEN
        v_size := greatest(c_chunk, ceil(least(
            (SELECT count(*) FROM task_sync_internal._queue() c WHERE c.may_sync),
            coalesce(p_limit, 2147483647))::numeric / c_chunks)::integer);
    END IF;
    -- the first pass always runs: sync_pending(0) parks the closed jobs' marks and syncs nothing
    WHILE (v_pass = 0 OR v_left IS NULL OR v_left > 0) AND v_used < c_budget LOOP
        v_pass := v_pass + 1;
        -- 1. candidates
        v_next := task_sync_internal._candidates(least(v_size, coalesce(v_left, v_size)), v_seen);
        IF cardinality(v_next.closed) > 0 THEN
            PERFORM task_sync_internal._park_marks(v_next.closed);
        END IF;
        EXIT WHEN cardinality(v_next.try) = 0;
        v_seen := v_seen || v_next.try;
        -- 2 to 4, a group at a time, the whole chunk first
        v_ranges := ARRAY[1, cardinality(v_next.try)];
        WHILE cardinality(v_ranges) > 0 AND v_used < c_budget LOOP
            v_first := v_ranges[1];
            v_last := v_ranges[2];
            v_ranges := v_ranges[3:];
            v_group := ARRAY(SELECT g FROM unnest(v_next.try[v_first:v_last]) AS g WHERE g <> ALL (v_busy));
            CONTINUE WHEN cardinality(v_group) = 0;
            v_try := task_sync_internal._attempt(v_group);
            IF cardinality(v_try.busy) > 0 THEN
                -- the same group again, without the busy ones
                v_busy := v_busy || v_try.busy;
                v_ranges := ARRAY[v_first, v_last] || v_ranges;
            ELSIF v_try.failed_state IS NULL THEN
                RETURN QUERY SELECT * FROM unnest(v_try.synced);
                v_left := v_left - cardinality(v_try.synced);
                v_used := v_used + 1;
            ELSIF cardinality(v_group) > 1 THEN
                -- again in halves, down to the one that fails
                v_ranges := ARRAY[v_first, (v_first + v_last) / 2, (v_first + v_last) / 2 + 1, v_last] || v_ranges;
            ELSE
                PERFORM task_sync_internal._record_failure(v_group[1], v_try.failed_state, v_try.failed_message,
                                                           v_try.failed_detail);
            END IF;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION task_sync.sync_pending(integer, bigint[]) IS
    'sync_pending(p_limit NULL, p_skip NULL) -> rows: syncs pending work orders set-based (at most p_limit; '
    'NULL: all; never those in p_skip), never waiting: what another session holds stays pending, a work '
    'order whose sync fails is recorded in sync_failure and the others are synced. TSC07: a read-only '
    'transaction (run it on the primary); TSV01: negative limit';

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
-- the planner settings and why: docs/scaling.md, "The planner settings of the engine's calls"
SET enable_nestloop = off
SET jit = off
SET plan_cache_mode = force_generic_plan
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

-- One change a sync applied, as the audit records it: a sync_item without its run (the columns of
-- task_sync.sync_item after sync_run_id, in its order). _write_tasks returns them, _write_books
-- counts them and writes them under their run.
CREATE TYPE task_sync_internal.change AS (
    work_order_id                   bigint,
    task_id                         bigint,
    action                          text,
    work_order_process_id           bigint,
    process_code                    text,
    task_type                       text,
    source_kind                     text,
    source_id                       bigint,
    work_content                    text,
    production_quantity             integer,
    previous_work_content           text,
    previous_production_quantity    integer,
    restored                        boolean,
    overwritten                     boolean
);
COMMENT ON TYPE task_sync_internal.change IS 'One change a sync applied: a sync_item without its run';

CREATE OR REPLACE FUNCTION task_sync_internal._write_tasks(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean)
RETURNS SETOF task_sync_internal.change
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT * FROM unnest(p_rows)
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
        -- side effect only (nothing reads it: PostgreSQL runs every data-modifying WITH statement to
        -- completion, read or not).
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
    )
    -- the changes, as the audit records them: the values before and after
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
    WHERE upd.action <> 'keep';
END
$$;

COMMENT ON FUNCTION task_sync_internal._write_tasks(bigint[], task_sync.plan_row[], boolean) IS
    'The task writes of a computed plan, in one statement, and the changes they made (the first part of _apply)';

CREATE OR REPLACE FUNCTION task_sync_internal._write_books(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
    p_restore_dismissed boolean, p_via text, p_marks bigint[], p_plan_hash text,
    p_changes task_sync_internal.change[])
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
    RETURN QUERY
    WITH wo AS MATERIALIZED (
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
        FROM unnest(p_changes) a
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
        -- side effect only: the audit's items, each change under its work order's run
        INSERT INTO task_sync.sync_item
        SELECT runs.id, a.*
        FROM unnest(p_changes) a
        JOIN runs ON runs.work_order_id = a.work_order_id
    )
    SELECT p.id, runs.id, p.plan_hash, p.n_add, p.n_remove, p.n_update, p.n_conflict, p.to_version
    FROM per_wo p
    LEFT JOIN runs ON runs.work_order_id = p.id
    ORDER BY p.id;
END
$$;

COMMENT ON FUNCTION task_sync_internal._write_books(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text, task_sync_internal.change[]) IS
    'The books of a sync: marks taken in, versions, sync_run and sync_item rows (the second part of _apply)';

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
DECLARE
    v_changes   task_sync_internal.change[];
BEGIN
    -- the writes that follow are the engine's: the task triggers read this marker (a setting would
    -- not do, since any session may set one)
    INSERT INTO task_sync.applying (xact) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    -- 1. the tasks, and the changes made
    v_changes := ARRAY(SELECT c FROM task_sync_internal._write_tasks(p_work_order_ids, p_rows, p_overwrite_edits) AS c);
    -- 2. the books: marks taken in, versions, the audit
    RETURN QUERY
        SELECT b.*
        FROM task_sync_internal._write_books(p_work_order_ids, p_rows, p_overwrite_edits, p_restore_dismissed, p_via,
                                             p_marks, p_plan_hash, v_changes) AS b;
    DELETE FROM task_sync.applying a WHERE a.xact = pg_current_xact_id();
END
$$;

COMMENT ON FUNCTION task_sync_internal._apply(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text) IS
    'Applies a computed plan to these work orders: the task writes (_write_tasks), then the books (_write_books)';

-- the catalogs' rename triggers name what points at them (tg_catalog__mark's arguments)
CREATE OR REPLACE TRIGGER process__mark_update AFTER UPDATE ON task_sync.process
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_catalog__mark('work_order_process', 'process_id');
DO $do$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT s.kind, n.link_table, n.id_column
             FROM task_sync.source_kind s CROSS JOIN LATERAL task_sync_internal._kind_tables(s.kind) n
             WHERE s.shape <> 'work_order' ORDER BY s.kind LOOP
        EXECUTE format(
            'CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON task_sync.%I'
            ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
            ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_catalog__mark(%L, %L)',
            task_sync_internal._ident(k.kind || '__mark_update'), k.kind, k.link_table, k.id_column);
    END LOOP;
END
$do$;

GRANT EXECUTE ON FUNCTION task_sync_internal._field_writes(text, boolean),
    task_sync_internal._plan_line(bigint, text, bigint, bigint, text, text, text, bigint, text, text, text, integer, integer, integer, boolean, text[], text[], boolean, boolean)
    TO task_sync_reader;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
