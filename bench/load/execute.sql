-- a service syncing one work order; one that was approved meanwhile is refused (TSC03), which is
-- the rule, not a failure
\set wo random(1, :nwo)
DO $$
BEGIN
    PERFORM task_sync.execute(:wo, true);
EXCEPTION WHEN SQLSTATE 'TSC03' THEN
    RAISE NOTICE 'work order % is approved', :wo;
END
$$;
