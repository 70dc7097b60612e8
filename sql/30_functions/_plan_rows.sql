-- task_sync_internal._plan_rows(p_work_order_ids bigint[], p_overwrite_edits boolean DEFAULT false,
--                     p_restore_dismissed boolean DEFAULT false) -> setof task_sync.plan_row
-- The sync plan of these work orders, unordered, with the internal 'keep' lines. The desired set D
-- (_desired) is compared with the generated tasks by generation key
-- (work_order_process_id, task_type, source_kind, source_id); the key sets are two set
-- differences (EXCEPT) over those keys:
--   missing    D EXCEPT generated tasks: add, or dismissed where the key is in task_dismissal
--   gone       generated tasks EXCEPT D: remove a draft, report a formal task as orphaned (a draft
--              whose process was deleted has no key in D)
-- and each row of D or of the generated tasks whose key is in one of them is picked by a semi-join
-- (hashing the key set, which is small when few things change, not the rows); a draft whose key is
-- in D is compared field by field, three ways (_field_outcome):
-- update, conflict, or keep. A key whose task is formal is satisfied. Manual tasks are not read.
-- The flags are execute's: with p_restore_dismissed a dismissed key is an 'add' (restored), with
-- p_overwrite_edits a conflict is an 'update' of its conflict fields too (overwritten), so the
-- plan says what execute with the same flags does, item for item.
-- Locks:   none (plain reads).
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._plan_rows(
    p_work_order_ids bigint[], p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS SETOF task_sync.plan_row
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS MATERIALIZED (
        SELECT * FROM task_sync_internal._desired(p_work_order_ids)
    ),
    g AS MATERIALIZED (
        -- generated tasks, draft and formal; wpk is the key's process, 0 once the process is deleted
        SELECT t.id, t.work_order_id, t.work_order_process_id, coalesce(t.work_order_process_id, 0) AS wpk,
               t.task_type, t.source_kind, t.source_id, t.status <> 'draft' AS formal,
               -- for each synced field, joined by ",":
               --   t.{name}, t.generated_{name}
               t.work_content, t.generated_work_content,
               t.production_quantity, t.generated_production_quantity
               -- end
        FROM task_sync.task t
        WHERE t.work_order_id = ANY (p_work_order_ids) AND t.origin = 'generated'
    ),
    missing_key AS (
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id FROM d
        EXCEPT
        SELECT work_order_id, wpk, task_type, source_kind, source_id FROM g
    ),
    dismissed_key AS (
        SELECT * FROM missing_key
        INTERSECT
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id
        FROM task_sync.task_dismissal
        -- the dismissals of the work orders with missing keys only (an index search each)
        WHERE work_order_id = ANY (ARRAY(SELECT DISTINCT k.work_order_id FROM missing_key k))
    ),
    gone_key AS (
        SELECT work_order_id, wpk, task_type, source_kind, source_id FROM g
        EXCEPT
        SELECT work_order_id, work_order_process_id, task_type, source_kind, source_id FROM d
    ),
    matched AS (
        SELECT g.*, d.process_code,
               -- for each synced field, joined by ",":
               --   d.{name} AS desired_{name},
               --   task_sync_internal._field_outcome(g.{name}, g.generated_{name}, d.{name}) AS {name}_outcome
               d.work_content AS desired_work_content,
               task_sync_internal._field_outcome(g.work_content, g.generated_work_content, d.work_content) AS work_content_outcome,
               d.production_quantity AS desired_production_quantity,
               task_sync_internal._field_outcome(g.production_quantity, g.generated_production_quantity, d.production_quantity) AS production_quantity_outcome
               -- end
        FROM g
        JOIN d ON d.work_order_id = g.work_order_id AND d.work_order_process_id = g.wpk
              AND d.task_type = g.task_type AND d.source_kind = g.source_kind AND d.source_id = g.source_id
        WHERE NOT g.formal
        OFFSET 0    -- each outcome computed once per row, not at each use below
    ),
    judged AS (
        -- each matched draft's line words, computed once per row (OFFSET 0 keeps this a level of
        -- its own): the lines below are taken apart into columns with .*, which copies the call of
        -- _plan_line, arguments and all, into each column before the planner simplifies them, so
        -- its arguments are kept to columns (expressions there cost milliseconds of planning)
        SELECT m.*,
               CASE WHEN (
                        -- for each synced field, joined by "OR":
                        --   (m.{name}_outcome = 'conflict'
                        --    AND NOT task_sync_internal._field_writes(m.{name}_outcome, p_overwrite_edits))
                        (m.work_content_outcome = 'conflict'
                         AND NOT task_sync_internal._field_writes(m.work_content_outcome, p_overwrite_edits))
                        OR (m.production_quantity_outcome = 'conflict'
                         AND NOT task_sync_internal._field_writes(m.production_quantity_outcome, p_overwrite_edits))
                        -- end
                        ) THEN 'conflict'
                    WHEN (
                        -- for each synced field, joined by "OR":
                        --   task_sync_internal._field_writes(m.{name}_outcome, p_overwrite_edits)
                        task_sync_internal._field_writes(m.work_content_outcome, p_overwrite_edits)
                        OR task_sync_internal._field_writes(m.production_quantity_outcome, p_overwrite_edits)
                        -- end
                        ) THEN 'update'
                    ELSE 'keep' END AS action,
               (
                   -- for each synced field, joined by "OR":
                   --   m.{name} IS DISTINCT FROM m.generated_{name}
                   m.work_content IS DISTINCT FROM m.generated_work_content
                   OR m.production_quantity IS DISTINCT FROM m.generated_production_quantity
                   -- end
                   ) AS edited,
               array_remove(ARRAY[
                   -- for each synced field, joined by ",":
                   --   CASE WHEN task_sync_internal._field_writes(m.{name}_outcome, p_overwrite_edits) THEN '{name}' END
                   CASE WHEN task_sync_internal._field_writes(m.work_content_outcome, p_overwrite_edits) THEN 'work_content' END,
                   CASE WHEN task_sync_internal._field_writes(m.production_quantity_outcome, p_overwrite_edits) THEN 'production_quantity' END
                   -- end
                   ], NULL) AS update_fields,
               array_remove(ARRAY[
                   -- for each synced field, joined by ",":
                   --   CASE WHEN m.{name}_outcome = 'conflict' THEN '{name}' END
                   CASE WHEN m.work_content_outcome = 'conflict' THEN 'work_content' END,
                   CASE WHEN m.production_quantity_outcome = 'conflict' THEN 'production_quantity' END
                   -- end
                   ], NULL) AS conflict_fields,
               p_overwrite_edits AND 'conflict' IN (
                   -- for each synced field, joined by ",":
                   --   m.{name}_outcome
                   m.work_content_outcome,
                   m.production_quantity_outcome
                   -- end
                   ) AS overwritten
        FROM matched m
        OFFSET 0
    )
    -- each line built by name (_plan_line); the three kinds of line:
    -- keys in D with no generated task
    SELECT (task_sync_internal._plan_line(
               work_order_id => d.work_order_id,
               action => CASE WHEN dismissed AND NOT p_restore_dismissed THEN 'dismissed' ELSE 'add' END,
               work_order_process_id => d.work_order_process_id, process_code => d.process_code,
               task_type => d.task_type, source_kind => d.source_kind, source_id => d.source_id,
               -- for each synced field:
               --   desired_{name} => d.{name},
               desired_work_content => d.work_content,
               desired_production_quantity => d.production_quantity,
               -- end
               restored => dismissed AND p_restore_dismissed)).*
    FROM d
    CROSS JOIN LATERAL (
        SELECT (d.work_order_id, d.work_order_process_id, d.task_type, d.source_kind, d.source_id)
               IN (SELECT * FROM dismissed_key) AS dismissed) x
    WHERE (d.work_order_id, d.work_order_process_id, d.task_type, d.source_kind, d.source_id)
          IN (SELECT * FROM missing_key)
    UNION ALL
    -- generated tasks whose key left D
    SELECT (task_sync_internal._plan_line(
               work_order_id => g.work_order_id, action => CASE WHEN g.formal THEN 'orphaned' ELSE 'remove' END,
               task_id => g.id, work_order_process_id => g.work_order_process_id, process_code => p.code,
               task_type => g.task_type, source_kind => g.source_kind, source_id => g.source_id,
               -- for each synced field:
               --   current_{name} => g.{name}, baseline_{name} => g.generated_{name},
               current_work_content => g.work_content, baseline_work_content => g.generated_work_content,
               current_production_quantity => g.production_quantity, baseline_production_quantity => g.generated_production_quantity,
               -- end
               edited => (
                   -- for each synced field, joined by "OR":
                   --   g.{name} IS DISTINCT FROM g.generated_{name}
                   g.work_content IS DISTINCT FROM g.generated_work_content
                   OR g.production_quantity IS DISTINCT FROM g.generated_production_quantity
                   -- end
                   ))).*
    FROM g
    LEFT JOIN task_sync.work_order_process wop
           ON wop.work_order_id = g.work_order_id AND wop.id = g.work_order_process_id
          -- bounded scan, also when hashing: the route rows of the work orders with gone keys only
          AND wop.work_order_id = ANY (ARRAY(SELECT DISTINCT k.work_order_id FROM gone_key k))
    LEFT JOIN task_sync.process p ON p.id = wop.process_id
    WHERE (g.work_order_id, g.wpk, g.task_type, g.source_kind, g.source_id) IN (SELECT * FROM gone_key)
    UNION ALL
    -- drafts whose key is in D, three ways: a conflict the sync does not write stays a conflict,
    -- any field it writes makes an update (_field_writes), else the draft is kept
    SELECT (task_sync_internal._plan_line(
               work_order_id => m.work_order_id, action => m.action,
               task_id => m.id, work_order_process_id => m.work_order_process_id, process_code => m.process_code,
               task_type => m.task_type, source_kind => m.source_kind, source_id => m.source_id,
               -- for each synced field:
               --   current_{name} => m.{name}, baseline_{name} => m.generated_{name},
               --   desired_{name} => m.desired_{name},
               current_work_content => m.work_content, baseline_work_content => m.generated_work_content,
               desired_work_content => m.desired_work_content,
               current_production_quantity => m.production_quantity, baseline_production_quantity => m.generated_production_quantity,
               desired_production_quantity => m.desired_production_quantity,
               -- end
               edited => m.edited, update_fields => m.update_fields, conflict_fields => m.conflict_fields,
               overwritten => m.overwritten)).*
    FROM judged m
$$;

COMMENT ON FUNCTION task_sync_internal._plan_rows(bigint[], boolean, boolean) IS
    'The sync plan of these work orders, unordered, including internal keep lines';
