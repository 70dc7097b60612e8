-- a DBA or a CLI user: preview, then execute confirming that plan by its hash; a stale plan
-- (TSC02), an approved work order (TSC03) and a failing one (23503) are expected
\set wo random(1, :nwo)
DO $$
DECLARE
    v_hash text := task_sync.preview(:wo)->>'plan_hash';
BEGIN
    PERFORM task_sync.execute(:wo, true, v_hash);
EXCEPTION WHEN SQLSTATE 'TSC02' OR SQLSTATE 'TSC03' OR foreign_key_violation THEN
    RAISE NOTICE 'work order % not synced', :wo;
END
$$;
