-- a DBA or a CLI user: preview, then execute confirming that plan by its hash; a plan that
-- changed in between is refused (TSC02), which is the guarantee, not a failure; so is a work order
-- approved meanwhile (TSC03)
\set wo random(1, :nwo)
DO $$
DECLARE
    v_hash text := task_sync.preview(:wo)->>'plan_hash';
BEGIN
    PERFORM task_sync.execute(:wo, true, v_hash);
EXCEPTION WHEN SQLSTATE 'TSC02' OR SQLSTATE 'TSC03' THEN
    RAISE NOTICE 'stale plan for %, or approved', :wo;
END
$$;
