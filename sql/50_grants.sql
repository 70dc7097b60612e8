-- 50_grants.sql: who may do what. Nothing is granted to PUBLIC: EXECUTE on every function of the
-- schema is revoked. (PostgreSQL cannot revoke PUBLIC's EXECUTE through per-schema default
-- privileges: those only add. The global form would change every function the installing role
-- creates in any schema, so instead every revision ends with this REVOKE, and a catalog test
-- fails on any function of the schema that PUBLIC may execute.)
--   task_sync_reader: USAGE on the schema, SELECT on every table but applying, EXECUTE on preview,
--                     plan, check_sync_needed, pending and plan_pending.
--   task_sync_writer: everything the reader has; INSERT, UPDATE and DELETE of work orders and their
--                     inputs and tasks, whole rows, the engine's columns guarded by value (below);
--                     EXECUTE on execute and sync_pending.
-- The engine's books (synced_version, work_order_mark, task_dismissal, sync_run, a task's baselines
-- and a generated task's identity) are written only by the owner's functions: execute and
-- sync_pending, and the triggers that mark and dismiss, are SECURITY DEFINER with a pinned
-- search_path. No reader or writer holds a right on those tables, nor on a value of those
-- columns (the tables writers write are guarded by value, see below), nor EXECUTE on
-- _apply (which trusts the plan it is given), nor USAGE on a sequence (identity columns need none).
-- create_source_kind and drop_source_kind are the owner's alone (they create and drop tables).

REVOKE ALL ON SCHEMA task_sync, task_sync_internal FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;

GRANT task_sync_reader TO task_sync_writer;

-- the internal schema too: the public functions a reader runs call its helpers with the reader's rights
GRANT USAGE ON SCHEMA task_sync, task_sync_internal TO task_sync_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA task_sync TO task_sync_reader;
REVOKE ALL ON task_sync.applying FROM task_sync_reader;
GRANT EXECUTE ON FUNCTION
    task_sync.preview(bigint, boolean, boolean),
    task_sync.plan(bigint, boolean, boolean),
    task_sync.check_sync_needed(bigint),
    task_sync.pending(integer),
    task_sync.plan_pending(integer),
    -- the helpers they call (SECURITY INVOKER functions run with the caller's rights)
    task_sync_internal._check_work_order_id(bigint),
    task_sync_internal._check_flags(boolean, boolean),
    task_sync_internal._check_limit(integer),
    task_sync_internal._work_order(bigint),
    task_sync_internal._may_sync(text, text),
    task_sync_internal._queue(),
    task_sync_internal._oldest_marks(integer),
    task_sync_internal._waiting(integer),
    task_sync_internal._template_ok(text),
    task_sync_internal._template_pre(text, boolean, text, text, text),
    task_sync_internal._content_from_pre(text, text, text, text, text, text),
    task_sync_internal._content_tokens(text, text, text, text, text),
    -- for each synced type:
    --   task_sync_internal._field_outcome({sql}, {sql}, {sql}),
    task_sync_internal._field_outcome(text, text, text),
    task_sync_internal._field_outcome(integer, integer, integer),
    -- end
    task_sync_internal._field_writes(text, boolean),
    task_sync_internal._desired(bigint[]),
    task_sync_internal._sources(bigint[], text[]),
    task_sync_internal._plan_line(bigint, text, bigint, bigint, text, text, text, bigint,
                                  -- for each synced field:
                                  --   {sql}, {sql}, {sql},
                                  text, text, text,
                                  integer, integer, integer,
                                  -- end
                                  boolean, text[], text[], boolean, boolean),
    task_sync_internal._plan_rows(bigint[], boolean, boolean),
    task_sync_internal._items(task_sync.plan_row[]),
    task_sync_internal._plan_hash(task_sync.plan_row[]),
    task_sync_internal._plan_hashes(task_sync.plan_row[])
TO task_sync_reader;

-- Work orders, their inputs and tasks: whole rows, as ORMs write them (Django's save() names every
-- column). The engine's columns are protected by value instead (tg_any__guard_columns,
-- tg_task__guard_id): a new row takes their defaults (synced_version 0; a task's origin 'manual',
-- no baselines, an id from the sequence), an UPDATE keeps their values (ids, the work order a row
-- belongs to, synced_version, created_at, a task's origin, generation key and baselines). (The
-- links and lines of each source kind get the same rights from _source_kind_dress.)
GRANT INSERT, UPDATE, DELETE ON task_sync.work_order, task_sync.work_order_process, task_sync.task
TO task_sync_writer;
GRANT EXECUTE ON FUNCTION
    task_sync.execute(bigint, boolean, text, boolean, boolean),
    task_sync.sync_pending(integer, bigint[])
TO task_sync_writer;

-- Tasks under row-level security, for one reason: its checks run on each row before the row or any
-- index entry of it is written, where the guards above run at the end of the statement. So a
-- writer's statement, however long it runs on, cannot hold an id or a generation key a sync is
-- about to insert (the engine's functions run as the owner, whom row-level security passes over):
-- a new task is manual (_task_insert_ok), and an UPDATE keeps a task's id and a generated task's
-- key (_task_update_ok). Rows are not hidden from anyone. (PostgreSQL refuses COPY FROM into a
-- table under row-level security to the roles it applies to: writers insert tasks with INSERT.)
ALTER TABLE task_sync.task ENABLE ROW LEVEL SECURITY;
CREATE POLICY task__read ON task_sync.task FOR SELECT USING (true);
CREATE POLICY task__delete ON task_sync.task FOR DELETE USING (true);
CREATE POLICY task__insert ON task_sync.task FOR INSERT WITH CHECK (task_sync_internal._task_insert_ok(origin));
CREATE POLICY task__update ON task_sync.task FOR UPDATE USING (true)
    WITH CHECK (task_sync_internal._task_update_ok(id, work_order_id, origin, work_order_process_id, task_type,
                                                   source_kind, source_id));
GRANT EXECUTE ON FUNCTION
    task_sync_internal._task_insert_ok(text),
    task_sync_internal._task_update_ok(bigint, bigint, text, bigint, text, text, bigint)
TO task_sync_writer;

-- What pending() says about a work order (busy: _busy looks without waiting or keeping a lock), and
-- what the worker records when a work order's sync alone outlasts its statement_timeout.
GRANT EXECUTE ON FUNCTION task_sync_internal._busy(bigint[]) TO task_sync_reader;
GRANT EXECUTE ON FUNCTION task_sync_internal._record_too_big(bigint) TO task_sync_writer;
