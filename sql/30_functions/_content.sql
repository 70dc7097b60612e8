-- task_sync._content(p_template text, p_order_number text, p_process_code text,
--                    p_process_name text, p_source_name text) -> text
-- task_sync._content_tokens(same arguments) -> text
-- The work_content a rule's template yields: {order_number}, {process_code}, {process_name} and
-- {source_name} are substituted in one pass, so a value that itself contains a placeholder stays
-- as written; any other text, braces and quotes included, is literal.
-- Nested replace() is one pass exactly when neither the values nor the template outside its
-- placeholders contain '{'; that common case is an expression the planner inlines into the
-- generator's query. The general case, _content_tokens, cuts the template into placeholders,
-- runs of text without '{' and lone '{', and maps each in order.
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync._content_tokens(
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

CREATE FUNCTION task_sync._content(
    p_template text, p_order_number text, p_process_code text, p_process_name text, p_source_name text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- A standard SQL body is bound when created (names resolved then, not by the caller's
-- search_path) and, unlike a function with a SET clause, is inlined into the calling query.
RETURN CASE
    WHEN strpos(p_template, '{') = 0 THEN p_template
    WHEN strpos(concat(p_order_number, p_process_code, p_process_name, p_source_name), '{') = 0
         AND strpos(regexp_replace(p_template,
                '\{(?:order_number|process_code|process_name|source_name)\}', '', 'g'), '{') = 0
    THEN replace(replace(replace(replace(p_template,
                '{order_number}', coalesce(p_order_number, '')),
                '{process_code}', coalesce(p_process_code, '')),
                '{process_name}', coalesce(p_process_name, '')),
                '{source_name}', coalesce(p_source_name, ''))
    ELSE task_sync._content_tokens(p_template, p_order_number, p_process_code, p_process_name, p_source_name)
END;

COMMENT ON FUNCTION task_sync._content(text, text, text, text, text) IS
    'work_content of a rule template: placeholders substituted in one pass';
