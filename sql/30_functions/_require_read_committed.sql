-- task_sync_internal._require_read_committed(p_what text) -> void
-- Raises TSC05 unless the transaction runs at READ COMMITTED. A rule or catalog change marks the
-- work orders it affects by reading their routes and links after it has locked the catalog rows
-- those inputs reference (see tg_generation_rule__mark, tg_catalog__mark): a route row or link
-- added in between is then either waited for and seen, or made to wait until the change commits.
-- A REPEATABLE READ or SERIALIZABLE snapshot is taken before those locks, so it could miss a route
-- row committed in the gap, and a concurrent sync would keep the old rule without a mark.
-- Locks:   none.
-- Raises:  TSC05 the transaction is not READ COMMITTED.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._require_read_committed(p_what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC05',
            MESSAGE = format('TSC05: %s must run at READ COMMITTED, not %s',
                             p_what, upper(current_setting('transaction_isolation'))),
            DETAIL = 'A snapshot older than the change''s locks could miss work orders it affects.',
            HINT = 'Run it in a transaction of its own: BEGIN ISOLATION LEVEL READ COMMITTED; ...; COMMIT;';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._require_read_committed(text) IS
    'Raises TSC05 unless the transaction is READ COMMITTED (rule and catalog changes)';
