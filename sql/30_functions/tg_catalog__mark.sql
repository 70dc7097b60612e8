-- task_sync_internal.tg_catalog__mark(link_table, id_column) -> trigger
-- Statement-level AFTER UPDATE trigger of the process catalog and of the catalog of every source
-- kind but work_order (create_source_kind adds it). A catalog row's values reach generated tasks through
-- templates: a process through {process_code}, {process_name} and the rules matched by its code;
-- a source through {source_name}. Marks the work orders that use a row whose name (or, for a
-- process, code) changed, whatever the rules say today: a rule may start using {source_name} in
-- another transaction at the same moment.
-- Concurrency: first the changed rows are locked FOR UPDATE, which waits for transactions that
-- are adding a route row or link to them (their foreign key check holds FOR KEY SHARE) and makes
-- new ones wait until this change commits; only then, in a statement of its own (a fresh READ
-- COMMITTED snapshot), are the work orders read. A route row or link is thus either seen and
-- marked here, or added after this change is visible to every sync.
-- Arguments of the trigger: the table that points at the catalog and its column (a kind's links
-- or lines, _kind_tables; for process, the route: work_order_process, process_id).
-- Locks:   the changed catalog rows FOR UPDATE (until commit).
-- Raises:  TSC05 not READ COMMITTED (only when a name or code changed).
-- Writes:  work_order_mark (through _mark).

CREATE FUNCTION task_sync_internal.tg_catalog__mark()
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
