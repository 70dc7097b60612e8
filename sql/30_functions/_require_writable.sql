-- task_sync_internal._require_writable(p_what text) -> void
-- Refuses to start a sync in a read-only transaction: on a hot standby (every transaction there
-- is read-only) or after SET TRANSACTION READ ONLY / default_transaction_read_only. Without it the
-- first lock a sync takes fails with PostgreSQL's 25006, which does not say where to go instead.
-- The read-only functions (preview, plan, plan_pending, pending, check_sync_needed) run anywhere.
-- Locks:   none.
-- Raises:  TSC07 the transaction is read-only.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._require_writable(p_what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_read_only')::boolean THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC07',
            MESSAGE = format('TSC07: %s writes, and this transaction is read-only%s: run it on the primary', p_what,
                             CASE WHEN pg_is_in_recovery() THEN ' (this server is a hot standby)' ELSE '' END),
            HINT = 'Sync on the primary, in a read-write transaction; preview, plan, plan_pending, pending and '
                   'check_sync_needed also run on a standby (a plan_hash read there confirms an execute on the '
                   'primary once the standby has replayed the changes).';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._require_writable(text) IS
    'Raises TSC07 in a read-only transaction (a hot standby): syncs run on the primary';
