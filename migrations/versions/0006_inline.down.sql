-- 0006_inline down: the functions as revision 0005 had them.
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
