-- task_sync.drop_source_kind(p_kind text) -> void
-- Drops a kind made by create_source_kind: its registry row, its catalog and its link or line
-- table (with their rows), and the dismissals of that kind (no rule yields it any more). Refused
-- while anything still names the kind: a generation rule or a task (delete or change those first;
-- formal tasks are people's work, so a kind with formal tasks stays). The built-in kinds cannot be
-- dropped. The audit (sync_item) keeps the kind's name in the syncs it recorded.
-- Schema owner only (no role is granted EXECUTE).
-- Locks:   the registry row FOR UPDATE, the view and the dropped tables (ACCESS EXCLUSIVE).
-- Raises:  TSV01 not a kind, or a built-in one; TSC06 a rule or task still uses it. Nothing is
--          changed.
-- Writes:  source_kind, task_dismissal; drops the kind's tables; rebuilds work_order_source.

CREATE FUNCTION task_sync.drop_source_kind(p_kind text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_built_in  boolean;
    v_rules bigint;
    v_tasks bigint;
BEGIN
    SELECT k.built_in INTO v_built_in FROM task_sync.source_kind k WHERE k.kind = p_kind FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: source kind %s does not exist', coalesce(quote_literal(p_kind), 'NULL')),
            HINT = 'SELECT kind FROM task_sync.source_kind lists the kinds.';
    END IF;
    IF v_built_in THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: source kind %s is built in and cannot be dropped', p_kind);
    END IF;
    SELECT count(*) INTO v_rules FROM task_sync.generation_rule r WHERE r.source_kind = p_kind;
    SELECT count(*) INTO v_tasks FROM task_sync.task t WHERE t.source_kind = p_kind;
    IF v_rules + v_tasks > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC06',
            MESSAGE = format('TSC06: source kind %s is in use', p_kind),
            DETAIL = format('%s generation rule(s) and %s task(s) name it.', v_rules, v_tasks),
            HINT = 'Delete its rules and sync, and delete or change its remaining tasks, then drop it.';
    END IF;
    DELETE FROM task_sync.task_dismissal x WHERE x.source_kind = p_kind;
    DELETE FROM task_sync.source_kind k WHERE k.kind = p_kind;
    PERFORM task_sync_internal._source_view_build();
    EXECUTE format('DROP TABLE task_sync.%I, task_sync.%I', (task_sync_internal._kind_tables(p_kind)).link_table, p_kind);
END
$$;

COMMENT ON FUNCTION task_sync.drop_source_kind(text) IS
    'Drops a created source kind and its tables: drop_source_kind(p_kind). Owner only. '
    'TSV01: not a kind or a built-in one; TSC06: a rule or task still uses it';
