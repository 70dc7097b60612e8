-- 0001_initial down: removes everything 0001 created except the schema itself (it holds
-- alembic's version table) and the two cluster-wide roles (other databases may use them).
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

-- trigger functions, with the triggers that use them
DROP FUNCTION
    task_sync.tg_catalog__mark(),
    task_sync.tg_generation_rule__mark(),
    task_sync.tg_task__dismiss(),
    task_sync.tg_work_order__mark(),
    task_sync.tg_work_order_input__mark(),
    task_sync.tg_work_order_process__guard_formal(),
    task_sync.tg_work_order_process__forget_dismissals()
CASCADE;

DROP FUNCTION
    task_sync.preview(bigint),
    task_sync.plan(bigint),
    task_sync.execute(bigint, boolean, text, boolean, boolean),
    task_sync.check_sync_needed(bigint),
    task_sync.pending(integer),
    task_sync.sync_pending(integer),
    task_sync._apply(bigint[], task_sync.plan_row[], boolean, boolean, text),
    task_sync._check_work_order_id(bigint),
    task_sync._content(text, text, text, text, text),
    task_sync._content_tokens(text, text, text, text, text),
    task_sync._desired(bigint[]),
    task_sync._field_outcome(text, text, text),
    task_sync._field_outcome(integer, integer, integer),
    task_sync._items(task_sync.plan_row[]),
    task_sync._mark(bigint[]),
    task_sync._may_sync(text, text),
    task_sync._plan_hash(task_sync.plan_row[]),
    task_sync._plan_rows(bigint[]),
    task_sync._work_order(bigint);

DROP TABLE
    task_sync.sync_run, task_sync.task_dismissal, task_sync.task,
    task_sync.work_order_product, task_sync.work_order_material,
    task_sync.work_order_embossing_plate, task_sync.work_order_foiling_plate,
    task_sync.work_order_die, task_sync.work_order_artwork, task_sync.work_order_process,
    task_sync.work_order, task_sync.generation_rule,
    task_sync.product, task_sync.material, task_sync.embossing_plate, task_sync.foiling_plate,
    task_sync.die, task_sync.artwork, task_sync.process;

DROP TYPE task_sync.plan_row;

REVOKE ALL ON SCHEMA task_sync FROM task_sync_reader;
