-- 0006_inline up: the helpers called once per row, or handed a whole plan, are inlined again; the
-- plan reads each row once.
--   * _template_pre called concat(), which is only STABLE: an IMMUTABLE SQL function that calls a
--     STABLE one is not inlined, so it ran as a query of its own for each route row and rule
--     (40 % of the desired set). It concatenates with || now.
--   * _items, _plan_hashes and _plan_hash have standard SQL bodies without a SET clause (bound when
--     created, as _template_ok and _field_outcome are): _items and _plan_hashes are inlined into
--     the calling query, where a call with a SET clause handed a whole plan to a query of its own.
--   * _plan_rows takes the generated tasks whose key left D with one EXCEPT (drafts and formal
--     tasks alike), and picks the rows of each key set by a semi-join on it, so that a small key
--     set is what gets hashed, not every desired or generated row. Its plans are unchanged.
-- Frozen copy of the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

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
-- standard SQL body, inlined (see _template_ok): only if every function in it is immutable too,
-- hence || and not concat(), which is stable (a call per route row measured 40 % of _desired)
RETURN CASE
    WHEN strpos(p_template, '{') = 0 THEN p_template
    WHEN p_template_ok AND strpos(coalesce(p_order_number, '') || coalesce(p_process_code, '') || coalesce(p_process_name, ''), '{') = 0
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

CREATE OR REPLACE FUNCTION task_sync_internal._items(p_rows task_sync.plan_row[])
RETURNS TABLE (ord bigint, r task_sync.plan_row)
LANGUAGE sql IMMUTABLE
-- A standard SQL body without a SET clause: bound when created (names resolved then, not by the
-- caller's search_path) and inlined into the calling query. A function with a SET clause runs as
-- a query of its own, and handing it a plan of thousands of rows costs more than the work.
BEGIN ATOMIC
    SELECT row_number() OVER (ORDER BY x.work_order_id, x.work_order_process_id NULLS FIRST, x.task_type,
                                       x.source_kind, x.source_id, x.task_id NULLS FIRST, x.action),
           x
    FROM unnest(p_rows) AS x
    WHERE x.action <> 'keep';
END;

COMMENT ON FUNCTION task_sync_internal._items(task_sync.plan_row[]) IS 'Visible plan items, numbered in canonical order';

CREATE OR REPLACE FUNCTION task_sync_internal._plan_hashes(p_rows task_sync.plan_row[])
RETURNS TABLE (work_order_id bigint, plan_hash text)
LANGUAGE sql IMMUTABLE
-- standard SQL body, no SET clause: inlined into the calling query, _items with it (see _items)
BEGIN ATOMIC
    SELECT (i.r).work_order_id,
           encode(sha256(convert_to(string_agg(i.r::text, E'\n' ORDER BY i.ord), 'UTF8')), 'hex')
    FROM task_sync_internal._items(p_rows) AS i
    GROUP BY (i.r).work_order_id;
END;

COMMENT ON FUNCTION task_sync_internal._plan_hashes(task_sync.plan_row[]) IS
    'sha256 of each work order''s visible plan items in canonical order, for a batch';

CREATE OR REPLACE FUNCTION task_sync_internal._plan_hash(p_rows task_sync.plan_row[])
RETURNS text
LANGUAGE sql IMMUTABLE
-- standard SQL body (bound when created); _items is inlined into it
BEGIN ATOMIC
    SELECT encode(sha256(convert_to(coalesce(string_agg(i.r::text, E'\n' ORDER BY i.ord), ''), 'UTF8')), 'hex')
    FROM task_sync_internal._items(p_rows) AS i;
END;

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
