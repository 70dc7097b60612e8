-- 65_views.sql: the audit, readable in psql. sync_run and sync_item keep the facts; these views
-- put the order number beside them and say each change in words:
--   SELECT * FROM task_sync.sync_history ORDER BY ran_at DESC LIMIT 20;
--   SELECT * FROM task_sync.sync_changes WHERE order_number = 'JOB-1001' ORDER BY sync_run_id, task_id;

CREATE VIEW task_sync.sync_history AS
    SELECT s.id AS sync_run_id, s.ran_at, s.work_order_id, w.order_number, s.run_by, s.via,
           s.added, s.removed, s.updated, s.conflicts,
           s.overwrite_edits, s.restore_dismissed, s.from_version, s.to_version, s.application_name
    FROM task_sync.sync_run s
    LEFT JOIN task_sync.work_order w ON w.id = s.work_order_id;
COMMENT ON VIEW task_sync.sync_history IS
    'One row per sync, with its work order''s number: SELECT * FROM task_sync.sync_history ORDER BY ran_at DESC LIMIT 20';
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

CREATE VIEW task_sync.sync_changes AS
    SELECT i.sync_run_id, s.ran_at, i.work_order_id, w.order_number, i.action, i.task_id, i.process_code,
           i.task_type, i.source_kind, i.source_id,
           concat_ws('; ',
               -- a task added or removed: its values, each as its field's entry says it
               CASE WHEN i.action = 'add' THEN 'added: ' || concat_ws(', ',
                   -- for each synced field, joined by ",":
                   --   format('{says}', i.{name})
                   format('%s', i.work_content),
                   format('quantity %s', i.production_quantity)
                   -- end
               ) END,
               CASE WHEN i.action = 'remove' THEN 'removed: ' || concat_ws(', ',
                   -- for each synced field, joined by ",":
                   --   format('{says}', i.previous_{name})
                   format('%s', i.previous_work_content),
                   format('quantity %s', i.previous_production_quantity)
                   -- end
               ) END,
               -- for each synced field:
               --   CASE WHEN i.action IN ('update', 'conflict') AND i.{name} IS DISTINCT FROM i.previous_{name}
               --        THEN format('{label}: %s -> %s', i.previous_{name}, i.{name}) END,
               CASE WHEN i.action IN ('update', 'conflict') AND i.work_content IS DISTINCT FROM i.previous_work_content
                    THEN format('work content: %s -> %s', i.previous_work_content, i.work_content) END,
               CASE WHEN i.action IN ('update', 'conflict') AND i.production_quantity IS DISTINCT FROM i.previous_production_quantity
                    THEN format('quantity: %s -> %s', i.previous_production_quantity, i.production_quantity) END,
               -- end
               CASE WHEN i.action = 'conflict' THEN 'the planner''s values kept; the rules changed too' END,
               CASE WHEN i.restored THEN 're-added a draft a planner had deleted' END,
               CASE WHEN i.overwritten THEN 'overwrote the planner''s values' END) AS change
    FROM task_sync.sync_item i
    JOIN task_sync.sync_run s ON s.work_order_id = i.work_order_id AND s.id = i.sync_run_id
    LEFT JOIN task_sync.work_order w ON w.id = i.work_order_id;
COMMENT ON VIEW task_sync.sync_changes IS
    'What each sync changed, one row per task, in words (the facts are in sync_item)';

GRANT SELECT ON task_sync.sync_history, task_sync.sync_changes TO task_sync_reader;
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
