-- a service syncing one work order: one approved meanwhile is refused (TSC03), one whose drafts an
-- application's rows hold fails (23503); both are expected, and the client goes on
\set wo random(1, :nwo)
DO $$
BEGIN
    PERFORM task_sync.execute(:wo, true);
EXCEPTION WHEN SQLSTATE 'TSC03' OR foreign_key_violation THEN
    RAISE NOTICE 'work order % not synced', :wo;
END
$$;
