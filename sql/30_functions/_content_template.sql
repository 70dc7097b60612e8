-- task_sync_internal._content_tokens(p_template text, p_order_number text, p_process_code text,
--                    p_process_name text, p_source_name text) -> text
-- The work_content a rule's template yields: {order_number}, {process_code}, {process_name} and
-- {source_name} are substituted in one pass, so a value that itself contains a placeholder stays
-- as written; any other text, braces and quotes included, is literal.
-- The common case is three steps, so that each runs as rarely as it can: _template_ok, the
-- regular expression, once per rule (it depends on the template alone); _template_pre once per
-- rule and route row, substituting the work order's and the process's values (nested replace()
-- is one pass exactly when neither those values nor the template outside its placeholders
-- contain '{'; NULL otherwise); and per task a single replace() of {source_name} (one pass
-- whatever the source's name holds: replace() never rescans what it inserted). _desired runs
-- the steps where they belong. The general case,
-- _content_tokens, cuts the template into placeholders, runs of text without '{' and lone '{',
-- and maps each in order.
-- task_sync_internal._template_ok(p_template text) -> boolean
-- task_sync_internal._template_pre(p_template text, p_template_ok boolean, p_order_number text,
--                         p_process_code text, p_process_name text) -> text
-- task_sync_internal._content_from_pre(p_pre text, p_template text, ... p_source_name text) -> text
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._content_tokens(
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

CREATE FUNCTION task_sync_internal._template_ok(p_template text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- A standard SQL body is bound when created (names resolved then, not by the caller's
-- search_path) and, unlike a function with a SET clause, is inlined into the calling query.
RETURN strpos(regexp_replace(p_template,
           '\{(?:order_number|process_code|process_name|source_name)\}', '', 'g'), '{') = 0;

COMMENT ON FUNCTION task_sync_internal._template_ok(text) IS
    'True when a rule template has no ''{'' outside its placeholders (the fast path of _template_pre applies)';

CREATE FUNCTION task_sync_internal._template_pre(
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

CREATE FUNCTION task_sync_internal._content_from_pre(
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
