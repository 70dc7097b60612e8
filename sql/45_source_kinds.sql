-- 45_source_kinds.sql: the built-in source kinds, made by the same function a DBA uses to add one
-- (create_source_kind), so that every kind has the same tables, triggers, grants and comments.
--   work_order       the work order itself (no tables of its own)
--   artwork, die, foiling_plate, embossing_plate   link kinds
--   material         a line kind whose lines are sources only when need_cutting
--   product          a line kind

INSERT INTO task_sync.source_kind (kind, shape) VALUES ('work_order', 'work_order');
SELECT task_sync.create_source_kind('artwork');
SELECT task_sync.create_source_kind('die');
SELECT task_sync.create_source_kind('foiling_plate');
SELECT task_sync.create_source_kind('embossing_plate');
SELECT task_sync.create_source_kind('material', true);
SELECT task_sync.create_source_kind('product', true);

ALTER TABLE task_sync.work_order_material ADD COLUMN need_cutting boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN task_sync.work_order_material.need_cutting IS
    'A material line is a source (a cutting task, say) only when it needs cutting';
UPDATE task_sync.source_kind SET line_filter = 'need_cutting' WHERE kind = 'material';
UPDATE task_sync.source_kind SET built_in = true;
SELECT task_sync_internal._source_view_build();
