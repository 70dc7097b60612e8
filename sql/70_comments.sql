-- 70_comments.sql: what every column means, so that \d+ in psql is the reference. (Tables carry
-- their own comments where they are created; a catalog test fails on any table, view or column
-- of the schema without one.)

COMMENT ON COLUMN task_sync.process.id IS 'The process';
COMMENT ON COLUMN task_sync.process.code IS 'Unique code (CTP, PRT, ...): rules are matched by it; {process_code}';
COMMENT ON COLUMN task_sync.process.name IS 'Name, as a template''s {process_name} shows it';

COMMENT ON COLUMN task_sync.generation_rule.id IS 'The rule';
COMMENT ON COLUMN task_sync.generation_rule.process_code IS
    'The process code the rule is for; NULL: a default rule, for processes whose code has no rule of its own';
COMMENT ON COLUMN task_sync.generation_rule.source_kind IS
    'What the rule yields one task per (a kind of task_sync.source_kind)';
COMMENT ON COLUMN task_sync.generation_rule.task_type IS 'The task_type of the tasks it yields';
COMMENT ON COLUMN task_sync.generation_rule.quantity_source IS
    'A task''s production_quantity: one (1), work_order (the work order''s, 0 when null), source (a line''s quantity)';
COMMENT ON COLUMN task_sync.generation_rule.content_template IS
    'A task''s work_content: {order_number}, {process_code}, {process_name} and {source_name} are substituted '
    'in one pass; anything else is literal';

COMMENT ON COLUMN task_sync.work_order.id IS 'The work order (positive)';
COMMENT ON COLUMN task_sync.work_order.order_number IS 'Unique order number; {order_number} in templates';
COMMENT ON COLUMN task_sync.work_order.production_quantity IS
    'How many to make (>= 0, or NULL); what quantity_source work_order gives a task';
COMMENT ON COLUMN task_sync.work_order.status IS
    'pending, in_progress, paused, completed or cancelled; completed and cancelled work orders are not synced';
COMMENT ON COLUMN task_sync.work_order.approval_status IS 'pending, approved or rejected; approved work orders are not synced';
COMMENT ON COLUMN task_sync.work_order.synced_version IS
    'Engine only: how many marks its syncs have taken in; definition_version is this plus the marks waiting';
COMMENT ON COLUMN task_sync.work_order.created_at IS 'When it was created';

COMMENT ON COLUMN task_sync.work_order_mark.id IS 'The mark';
COMMENT ON COLUMN task_sync.work_order_mark.work_order_id IS 'The work order whose inputs changed';
COMMENT ON COLUMN task_sync.work_order_mark.xact IS 'The transaction that changed them (one mark per work order and transaction)';
COMMENT ON COLUMN task_sync.work_order_mark.marked_at IS 'When (the oldest mark of a work order is its pending_since)';
COMMENT ON COLUMN task_sync.work_order_mark.weight IS
    'How many changes it stands for (more than 1 for the parked marks of a reopened work order)';

COMMENT ON COLUMN task_sync.work_order_mark_parked.work_order_id IS 'The work order (approved, completed or cancelled)';
COMMENT ON COLUMN task_sync.work_order_mark_parked.weight IS 'How many changes its marks stood for';
COMMENT ON COLUMN task_sync.work_order_mark_parked.since IS 'When the oldest of them was made';

COMMENT ON COLUMN task_sync.sync_failure.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.sync_failure.failed_at IS 'When its sync failed last';
COMMENT ON COLUMN task_sync.sync_failure.sqlstate IS 'The error''s SQLSTATE (23503: a foreign key of an application''s table, ...)';
COMMENT ON COLUMN task_sync.sync_failure.message IS 'The error''s message';
COMMENT ON COLUMN task_sync.sync_failure.detail IS 'The error''s detail';
COMMENT ON COLUMN task_sync.sync_failure.failures IS 'How many syncs of it failed in a row';
COMMENT ON COLUMN task_sync.sync_failure.definition_version IS
    'The definition_version whose sync failed: a change after it makes sync_pending try again at once';
COMMENT ON COLUMN task_sync.sync_failure.retry_after IS
    'sync_pending passes over it until then (sooner when its inputs change again); execute is not held back';

COMMENT ON COLUMN task_sync.work_order_process.id IS 'The route row (positive); tasks point at it';
COMMENT ON COLUMN task_sync.work_order_process.work_order_id IS 'The work order (never changes)';
COMMENT ON COLUMN task_sync.work_order_process.process_id IS 'The process (task_sync.process)';
COMMENT ON COLUMN task_sync.work_order_process.sequence IS 'Its place in the route (unique per work order)';

COMMENT ON COLUMN task_sync.task.id IS 'The task (positive)';
COMMENT ON COLUMN task_sync.task.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.task.work_order_process_id IS
    'The route row it belongs to; NULL once that process was deleted (its drafts go at the next sync)';
COMMENT ON COLUMN task_sync.task.status IS
    'draft, or formal: pending, in_progress, completed, cancelled. The engine writes drafts only';
COMMENT ON COLUMN task_sync.task.origin IS
    'generated (by the engine) or manual (by people; never matched or changed by a sync)';
COMMENT ON COLUMN task_sync.task.task_type IS 'What kind of work (plate_making, printing, ...): part of the generation key';
COMMENT ON COLUMN task_sync.task.source_kind IS 'The kind of source it was generated for: part of the generation key';
COMMENT ON COLUMN task_sync.task.source_id IS
    'The source: the work order, a linked catalog row, or a line (by its kind): part of the generation key';
COMMENT ON COLUMN task_sync.task.work_content IS 'What to do: the planner''s to edit; a sync writes it only while it holds the baseline';
COMMENT ON COLUMN task_sync.task.production_quantity IS
    'How many: the planner''s to edit; a sync writes it only while it holds the baseline';
COMMENT ON COLUMN task_sync.task.quantity_completed IS 'How many are done (people''s; never written by a sync)';
COMMENT ON COLUMN task_sync.task.created_at IS 'When it was created';

COMMENT ON COLUMN task_sync.task_dismissal.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.task_dismissal.work_order_process_id IS 'The generation key of the deleted draft: its route row';
COMMENT ON COLUMN task_sync.task_dismissal.task_type IS 'The generation key: task type';
COMMENT ON COLUMN task_sync.task_dismissal.source_kind IS 'The generation key: source kind';
COMMENT ON COLUMN task_sync.task_dismissal.source_id IS 'The generation key: source';
COMMENT ON COLUMN task_sync.task_dismissal.task_id IS 'The id the deleted task had';
COMMENT ON COLUMN task_sync.task_dismissal.dismissed_at IS 'When it was deleted (or taken over as manual)';
COMMENT ON COLUMN task_sync.task_dismissal.dismissed_by IS 'Who: the session''s role (SET ROLE), else its login role';

COMMENT ON COLUMN task_sync.sync_run.id IS 'The sync';
COMMENT ON COLUMN task_sync.sync_run.work_order_id IS 'The work order synced (no foreign key: the audit outlives it)';
COMMENT ON COLUMN task_sync.sync_run.ran_at IS 'When (the transaction''s start)';
COMMENT ON COLUMN task_sync.sync_run.run_by IS 'Who: the caller''s role (SET ROLE), else its login role';
COMMENT ON COLUMN task_sync.sync_run.application_name IS 'The caller''s application_name';
COMMENT ON COLUMN task_sync.sync_run.via IS 'execute or sync_pending';
COMMENT ON COLUMN task_sync.sync_run.plan_hash IS 'The hash of the plan applied (what preview showed, when confirmed by it)';
COMMENT ON COLUMN task_sync.sync_run.from_version IS 'synced_version before the sync';
COMMENT ON COLUMN task_sync.sync_run.to_version IS 'The definition_version synced';
COMMENT ON COLUMN task_sync.sync_run.overwrite_edits IS 'execute''s p_overwrite_edits';
COMMENT ON COLUMN task_sync.sync_run.restore_dismissed IS 'execute''s p_restore_dismissed';
COMMENT ON COLUMN task_sync.sync_run.added IS 'Drafts added';
COMMENT ON COLUMN task_sync.sync_run.removed IS 'Drafts removed';
COMMENT ON COLUMN task_sync.sync_run.updated IS 'Drafts updated';
COMMENT ON COLUMN task_sync.sync_run.conflicts IS 'Conflicts: the planner''s values kept, the baseline moved';

COMMENT ON COLUMN task_sync.sync_item.sync_run_id IS 'The sync (task_sync.sync_run)';
COMMENT ON COLUMN task_sync.sync_item.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.sync_item.task_id IS 'The task added, removed or updated';
COMMENT ON COLUMN task_sync.sync_item.work_order_process_id IS 'Its route row (NULL when the process was deleted)';
COMMENT ON COLUMN task_sync.sync_item.process_code IS 'Its process code, as it was';
COMMENT ON COLUMN task_sync.sync_item.task_type IS 'Its task type';
COMMENT ON COLUMN task_sync.sync_item.source_kind IS 'Its source kind (kept after the kind is dropped)';
COMMENT ON COLUMN task_sync.sync_item.source_id IS 'Its source';
COMMENT ON COLUMN task_sync.sync_item.work_content IS 'work_content after the sync (NULL for remove)';
COMMENT ON COLUMN task_sync.sync_item.production_quantity IS 'production_quantity after the sync (NULL for remove)';
COMMENT ON COLUMN task_sync.sync_item.previous_work_content IS 'work_content before the sync (NULL for add)';
COMMENT ON COLUMN task_sync.sync_item.previous_production_quantity IS 'production_quantity before the sync (NULL for add)';

COMMENT ON COLUMN task_sync.applying.xact IS 'A transaction in which _apply is writing';

COMMENT ON COLUMN task_sync.work_order_source.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.work_order_source.source_kind IS 'The kind (task_sync.source_kind)';
COMMENT ON COLUMN task_sync.work_order_source.source_id IS 'The source: the work order, a catalog row or a line';
COMMENT ON COLUMN task_sync.work_order_source.name IS 'Its name: {source_name}';
COMMENT ON COLUMN task_sync.work_order_source.quantity IS 'A line''s quantity (NULL for others)';

COMMENT ON COLUMN task_sync.sync_history.sync_run_id IS 'The sync (task_sync.sync_run)';
COMMENT ON COLUMN task_sync.sync_history.ran_at IS 'When';
COMMENT ON COLUMN task_sync.sync_history.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.sync_history.order_number IS 'Its order number (NULL once the work order is deleted)';
COMMENT ON COLUMN task_sync.sync_history.run_by IS 'Who';
COMMENT ON COLUMN task_sync.sync_history.via IS 'execute or sync_pending';
COMMENT ON COLUMN task_sync.sync_history.added IS 'Drafts added';
COMMENT ON COLUMN task_sync.sync_history.removed IS 'Drafts removed';
COMMENT ON COLUMN task_sync.sync_history.updated IS 'Drafts updated';
COMMENT ON COLUMN task_sync.sync_history.conflicts IS 'Conflicts: the planner''s values kept';
COMMENT ON COLUMN task_sync.sync_history.overwrite_edits IS 'Run with p_overwrite_edits';
COMMENT ON COLUMN task_sync.sync_history.restore_dismissed IS 'Run with p_restore_dismissed';
COMMENT ON COLUMN task_sync.sync_history.from_version IS 'synced_version before';
COMMENT ON COLUMN task_sync.sync_history.to_version IS 'The definition_version synced';
COMMENT ON COLUMN task_sync.sync_history.application_name IS 'The caller''s application_name';

COMMENT ON COLUMN task_sync.sync_changes.sync_run_id IS 'The sync';
COMMENT ON COLUMN task_sync.sync_changes.ran_at IS 'When';
COMMENT ON COLUMN task_sync.sync_changes.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.sync_changes.order_number IS 'Its order number';
COMMENT ON COLUMN task_sync.sync_changes.action IS 'add, remove, update or conflict';
COMMENT ON COLUMN task_sync.sync_changes.task_id IS 'The task';
COMMENT ON COLUMN task_sync.sync_changes.process_code IS 'Its process code';
COMMENT ON COLUMN task_sync.sync_changes.task_type IS 'Its task type';
COMMENT ON COLUMN task_sync.sync_changes.source_kind IS 'Its source kind';
COMMENT ON COLUMN task_sync.sync_changes.source_id IS 'Its source';
COMMENT ON COLUMN task_sync.sync_changes.change IS 'What changed, in words';
