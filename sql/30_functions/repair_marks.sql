-- task_sync.repair_marks() -> integer
-- The repair after writes that bypassed the marking triggers: rows written while
-- session_replication_role = replica (logical replication apply, pg_restore --disable-triggers)
-- or with the triggers disabled. Computes the plan of every work order that has no mark (parked
-- marks of a closed job count), in chunks of 1,000, and marks each whose plan has an add, remove, update or conflict; returns how
-- many it marked. Run it as the schema owner after such a load, at READ COMMITTED.
-- Locks:   none (plain reads, then inserts of marks).
-- Raises:  TSC05 not READ COMMITTED.
-- Writes:  work_order_mark (through _mark).

CREATE FUNCTION task_sync.repair_marks()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    c_chunk CONSTANT integer := 1000;
    v_after bigint := 0;
    v_ids   bigint[];
    v_count integer := 0;
BEGIN
    PERFORM task_sync_internal._require_read_committed('repair_marks()');
    LOOP
        v_ids := ARRAY(
            SELECT w.id
            FROM task_sync.work_order w
            WHERE w.id > v_after
              AND NOT EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id)
              AND NOT EXISTS (SELECT FROM task_sync.work_order_mark_parked p WHERE p.work_order_id = w.id)
            ORDER BY w.id
            LIMIT c_chunk);
        EXIT WHEN cardinality(v_ids) = 0;
        v_after := v_ids[cardinality(v_ids)];
        v_count := v_count + task_sync_internal._mark(ARRAY(
            SELECT DISTINCT r.work_order_id
            FROM task_sync_internal._plan_rows(v_ids) AS r
            WHERE r.action IN ('add', 'remove', 'update', 'conflict')));
    END LOOP;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync.repair_marks() IS
    'repair_marks() -> integer: marks every work order whose plan has something to do but that is not '
    'pending (after loads with triggers off); returns how many. Owner only. TSC05: not READ COMMITTED';
