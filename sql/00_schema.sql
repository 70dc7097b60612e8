-- 00_schema.sql: the schema everything lives in, and the two group roles.
--
-- The roles are cluster-wide, so they are created only when absent; they never log in.
--   task_sync_reader: may look (preview, plan, check_sync_needed, pending, SELECT on tables).
--   task_sync_writer: reader, plus DML on inputs and tasks and the right to sync.

-- Everything in sql/ is created with a transaction-local search_path that holds only the system catalogs, so
-- that names bound at creation (standard SQL bodies) can never resolve to a caller's objects.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);


CREATE SCHEMA IF NOT EXISTS task_sync;
COMMENT ON SCHEMA task_sync IS 'pytask_sync: draft tasks of work orders kept consistent with their routes and components';
-- the engine's helpers and trigger functions, apart from the public API, so that \df task_sync.*
-- lists exactly what people call
CREATE SCHEMA IF NOT EXISTS task_sync_internal;
COMMENT ON SCHEMA task_sync_internal IS
    'pytask_sync internals: helpers and trigger functions of the task_sync schema (not an API: they change between versions)';

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'task_sync_reader') THEN
        CREATE ROLE task_sync_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'task_sync_writer') THEN
        CREATE ROLE task_sync_writer NOLOGIN;
    END IF;
END
$roles$;
