-- 10_types.sql: composite types shared by the engine's functions.

-- One line of a sync plan. The public columns are what preview() and plan() show; a plan
-- computed internally also carries 'keep' lines (matched drafts with nothing visible to change)
-- so that execute can move their baselines with the rules. A plan computed with execute's flags
-- says what execute with those flags does: a restored dismissal is an 'add' (restored), an
-- overwritten conflict an 'update' (overwritten, conflict_fields still naming the planner's edits).
CREATE TYPE task_sync.plan_row AS (
    work_order_id                   bigint,
    action                          text,     -- add remove update conflict dismissed orphaned (keep: internal)
    task_id                         bigint,   -- null for add and dismissed
    work_order_process_id           bigint,   -- null when the task's process was deleted
    process_code                    text,
    task_type                       text,
    source_kind                     text,
    source_id                       bigint,
    -- current: what the task holds now (null for add and dismissed); baseline: what the engine
    -- generated last time; desired: what the rules yield now (null for remove and orphaned)
    -- for each synced field:
    --   current_{name}    {sql},
    --   baseline_{name}   {sql},
    --   desired_{name}    {sql},
    current_work_content    text,
    baseline_work_content   text,
    desired_work_content    text,
    current_production_quantity    integer,
    baseline_production_quantity   integer,
    desired_production_quantity    integer,
    -- end
    edited                          boolean,  -- the draft differs from its baseline (a planner changed it)
    update_fields                   text[],   -- fields a sync writes with the rule value
    conflict_fields                 text[],   -- fields the planner changed while the rules moved too
    restored                        boolean,  -- an add that re-adds a dismissed draft (p_restore_dismissed)
    overwritten                     boolean   -- an update that overwrites the planner's values in
                                              -- conflict_fields (p_overwrite_edits)
);
COMMENT ON TYPE task_sync.plan_row IS 'One item of a sync plan (see task_sync.plan)';
COMMENT ON COLUMN task_sync.plan_row.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.plan_row.action IS
    'add, remove, update, conflict, dismissed or orphaned (what a sync with the same flags does with this task)';
COMMENT ON COLUMN task_sync.plan_row.task_id IS 'The task (NULL for add and dismissed: no draft exists)';
COMMENT ON COLUMN task_sync.plan_row.work_order_process_id IS 'The route row of the generation key (NULL: its process was deleted)';
COMMENT ON COLUMN task_sync.plan_row.process_code IS 'The code of that route row''s process';
COMMENT ON COLUMN task_sync.plan_row.task_type IS 'The task type of the generation key';
COMMENT ON COLUMN task_sync.plan_row.source_kind IS 'The source kind of the generation key';
COMMENT ON COLUMN task_sync.plan_row.source_id IS 'The source of the generation key (a catalog id, a line id or the work order id)';
-- for each synced field:
--   COMMENT ON COLUMN task_sync.plan_row.current_{name} IS 'What the task holds now (NULL for add and dismissed)';
--   COMMENT ON COLUMN task_sync.plan_row.baseline_{name} IS 'What the engine generated last time (the baseline)';
--   COMMENT ON COLUMN task_sync.plan_row.desired_{name} IS 'What the rules yield now (NULL for remove and orphaned)';
COMMENT ON COLUMN task_sync.plan_row.current_work_content IS 'What the task holds now (NULL for add and dismissed)';
COMMENT ON COLUMN task_sync.plan_row.baseline_work_content IS 'What the engine generated last time (the baseline)';
COMMENT ON COLUMN task_sync.plan_row.desired_work_content IS 'What the rules yield now (NULL for remove and orphaned)';
COMMENT ON COLUMN task_sync.plan_row.current_production_quantity IS 'What the task holds now (NULL for add and dismissed)';
COMMENT ON COLUMN task_sync.plan_row.baseline_production_quantity IS 'What the engine generated last time (the baseline)';
COMMENT ON COLUMN task_sync.plan_row.desired_production_quantity IS 'What the rules yield now (NULL for remove and orphaned)';
-- end
COMMENT ON COLUMN task_sync.plan_row.edited IS 'The draft differs from its baseline: a planner changed it';
COMMENT ON COLUMN task_sync.plan_row.update_fields IS 'The fields a sync writes with the rule value';
COMMENT ON COLUMN task_sync.plan_row.conflict_fields IS 'The fields a planner changed while the rules moved too';
COMMENT ON COLUMN task_sync.plan_row.restored IS 'An add that re-adds a draft a planner deleted (p_restore_dismissed)';
COMMENT ON COLUMN task_sync.plan_row.overwritten IS
    'An update that overwrites the planner''s values in conflict_fields (p_overwrite_edits)';

-- What one work order's sync by sync_pending did: a row of its result, as _attempt hands it back.
CREATE TYPE task_sync_internal.synced AS (
    work_order_id   bigint,
    added           integer,
    removed         integer,
    updated         integer,
    conflicts       integer,
    sync_run_id     bigint     -- null when nothing changed
);
COMMENT ON TYPE task_sync_internal.synced IS 'What one work order''s sync by sync_pending did (a row of its result)';

-- One change a sync applied, as the audit records it: a sync_item without its run (the columns of
-- task_sync.sync_item after sync_run_id, in its order). _write_tasks returns them, _write_books
-- counts them and writes them under their run.
CREATE TYPE task_sync_internal.change AS (
    work_order_id                   bigint,
    task_id                         bigint,
    action                          text,
    work_order_process_id           bigint,
    process_code                    text,
    task_type                       text,
    source_kind                     text,
    source_id                       bigint,
    -- for each synced field:
    --   {name}    {sql},
    work_content    text,
    production_quantity    integer,
    -- end
    -- for each synced field:
    --   previous_{name}   {sql},
    previous_work_content   text,
    previous_production_quantity   integer,
    -- end
    restored                        boolean,
    overwritten                     boolean
);
COMMENT ON TYPE task_sync_internal.change IS 'One change a sync applied: a sync_item without its run';
