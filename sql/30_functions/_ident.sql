-- task_sync_internal._ident(p_name text) -> text
-- An identifier for a name the engine builds from a kind (a table, column, constraint, index or
-- trigger of create_source_kind): the name itself when it fits PostgreSQL's 63 bytes, else its
-- first 54 characters, '_' and 8 hex digits of its md5, so that two long names never truncate to
-- the same identifier (PostgreSQL would truncate silently). Kinds are ASCII, so characters are bytes.
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._ident(p_name text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN octet_length(p_name) <= 63 THEN p_name
                ELSE left(p_name, 54) || '_' || left(md5(p_name), 8) END
$$;

COMMENT ON FUNCTION task_sync_internal._ident(text) IS
    'A built name that fits 63 bytes: itself, or a prefix and a hash (never a silent truncation)';
