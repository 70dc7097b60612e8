-- task_sync_internal.tg_generation_rule__mark() -> trigger
-- Statement-level AFTER INSERT / UPDATE / DELETE trigger of generation_rule. Marks every work
-- order with a process the changed rules apply to: processes of the changed rules' codes and, when
-- a default rule (process_code NULL) changed, processes whose code has no rule of its own. The
-- first or last rule of a code moves that code between its own rules and the defaults; its code
-- is among the changed ones, so it is marked too. An UPDATE that changes no value marks nothing.
-- Concurrency: first the affected process rows are locked FOR UPDATE (for a default rule: every
-- process, and the process table against new codes), which waits for transactions adding route
-- rows of those processes (their foreign key check holds FOR KEY SHARE) and makes new ones wait
-- until this change commits; only then, in a statement of its own, are the routes read. A route
-- row is thus either seen and marked here, or added after the new rules are visible to every sync.
-- Locks:   the affected process rows FOR UPDATE, in id order; for a default rule also the process
--          table IN SHARE MODE (until commit).
-- Raises:  TSC05 not READ COMMITTED.
-- Writes:  work_order_mark (through _mark).

CREATE FUNCTION task_sync_internal.tg_generation_rule__mark()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_codes     text[];
    v_default   boolean;
    v_processes bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.process_code), bool_or(n.process_code IS NULL)
        INTO v_codes, v_default FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.process_code), bool_or(o.process_code IS NULL)
        INTO v_codes, v_default FROM old_rows o;
    ELSE
        SELECT array_agg(DISTINCT x.process_code), bool_or(x.process_code IS NULL)
        INTO v_codes, v_default
        FROM ((TABLE new_rows EXCEPT ALL TABLE old_rows)
              UNION ALL
              (TABLE old_rows EXCEPT ALL TABLE new_rows)) AS x;
    END IF;
    IF v_codes IS NULL AND v_default IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM task_sync_internal._require_read_committed('changing generation rules');
    IF v_default THEN
        LOCK TABLE task_sync.process IN SHARE MODE;
    END IF;
    v_processes := ARRAY(
        SELECT p.id
        FROM task_sync.process p
        WHERE p.code = ANY (v_codes) OR v_default
        ORDER BY p.id
        FOR UPDATE);
    -- a statement of its own: its snapshot sees every route row added before the locks were granted
    PERFORM task_sync_internal._mark(ARRAY(
        SELECT DISTINCT wop.work_order_id
        FROM task_sync.work_order_process wop
        JOIN task_sync.process p ON p.id = wop.process_id
        WHERE p.id = ANY (v_processes)
          AND (p.code = ANY (v_codes)
               OR (v_default AND NOT EXISTS (
                       SELECT FROM task_sync.generation_rule r WHERE r.process_code = p.code)))));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_generation_rule__mark() IS
    'Marks work orders whose processes take the changed rules, after locking those processes against new route rows';
