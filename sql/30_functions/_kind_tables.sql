-- task_sync_internal._kind_tables(p_kind text) -> (link_table text, id_column text)
-- The names of a source kind's tables beside its catalog task_sync.<kind>: the links or lines
-- table work_order_<kind> and its column <kind>_id that points at the catalog. The one place the
-- convention is written: create_source_kind, _source_kind_dress, _source_view_build and
-- drop_source_kind read it here, and tg_catalog__mark is given the two names as arguments of its
-- trigger (by _source_kind_dress for a kind's catalog; the process catalog's trigger names the
-- route, work_order_process.process_id).
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._kind_tables(p_kind text, OUT link_table text, OUT id_column text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT 'work_order_' || p_kind, p_kind || '_id';
END;

COMMENT ON FUNCTION task_sync_internal._kind_tables(text) IS
    'The link or line table of a source kind and its column that points at the catalog: work_order_<kind>, <kind>_id';
