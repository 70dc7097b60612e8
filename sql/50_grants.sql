-- 50_grants.sql: who may do what. Nothing is granted to PUBLIC: EXECUTE on every function of the
-- schema is revoked. (PostgreSQL cannot revoke PUBLIC's EXECUTE through per-schema default
-- privileges: those only add. The global form would change every function the installing role
-- creates in any schema, so instead every revision ends with this REVOKE, and a catalog test
-- fails on any function of the schema that PUBLIC may execute.)
--   task_sync_reader: USAGE on the schema, SELECT on every table, EXECUTE on preview, plan,
--                     check_sync_needed and pending.
--   task_sync_writer: everything the reader has, DML on the inputs and tasks, EXECUTE on execute
--                     and sync_pending.
-- Every function is SECURITY INVOKER: a caller needs the table rights of what the function does,
-- so the roles above are the whole story and no function can be used to reach past them.

REVOKE ALL ON SCHEMA task_sync FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync FROM PUBLIC;

GRANT task_sync_reader TO task_sync_writer;

GRANT USAGE ON SCHEMA task_sync TO task_sync_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA task_sync TO task_sync_reader;
GRANT EXECUTE ON FUNCTION
    task_sync.preview(bigint),
    task_sync.plan(bigint),
    task_sync.check_sync_needed(bigint),
    task_sync.pending(integer),
    -- the helpers they call (SECURITY INVOKER functions run with the caller's rights)
    task_sync._check_work_order_id(bigint),
    task_sync._work_order(bigint),
    task_sync._may_sync(text, text),
    task_sync._content(text, text, text, text, text),
    task_sync._content_tokens(text, text, text, text, text),
    task_sync._field_outcome(text, text, text),
    task_sync._field_outcome(integer, integer, integer),
    task_sync._desired(bigint[]),
    task_sync._plan_rows(bigint[]),
    task_sync._items(task_sync.plan_row[]),
    task_sync._plan_hash(task_sync.plan_row[])
TO task_sync_reader;

GRANT INSERT, UPDATE, DELETE ON
    task_sync.work_order, task_sync.work_order_process, task_sync.work_order_artwork,
    task_sync.work_order_die, task_sync.work_order_foiling_plate, task_sync.work_order_embossing_plate,
    task_sync.work_order_material, task_sync.work_order_product, task_sync.task
TO task_sync_writer;
-- written by the engine on the writer's behalf (execute, sync_pending, triggers)
GRANT INSERT, DELETE ON task_sync.task_dismissal, task_sync.work_order_mark TO task_sync_writer;
GRANT INSERT ON task_sync.sync_run TO task_sync_writer;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA task_sync TO task_sync_writer;
GRANT EXECUTE ON FUNCTION
    task_sync.execute(bigint, boolean, text, boolean, boolean),
    task_sync.sync_pending(integer),
    task_sync._apply(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[]),
    task_sync._mark(bigint[]),
    task_sync._dismiss(task_sync.task[]),
    task_sync.tg_work_order_input__mark(),
    task_sync.tg_work_order__mark(),
    task_sync.tg_catalog__mark(),
    task_sync.tg_generation_rule__mark(),
    task_sync.tg_task__dismiss(),
    task_sync.tg_task__mark(),
    task_sync.tg_work_order__forget_marks(),
    task_sync.tg_work_order_process__guard_formal(),
    task_sync.tg_work_order_process__forget_dismissals()
TO task_sync_writer;
