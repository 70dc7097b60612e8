-- 0014_fields_by_name up: Plan lines, changes and audit items built by name; the synced fields generated from one list.
-- Frozen from the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE OR REPLACE FUNCTION task_sync_internal._change_row(
    work_order_id bigint,
    task_id bigint,
    action text,
    work_order_process_id bigint DEFAULT NULL,
    process_code text DEFAULT NULL,
    task_type text DEFAULT NULL,
    source_kind text DEFAULT NULL,
    source_id bigint DEFAULT NULL,
    -- for each synced field:
    --   {name} {sql} DEFAULT NULL,
    work_content text DEFAULT NULL,
    production_quantity integer DEFAULT NULL,
    -- end
    -- for each synced field:
    --   previous_{name} {sql} DEFAULT NULL,
    previous_work_content text DEFAULT NULL,
    previous_production_quantity integer DEFAULT NULL,
    -- end
    restored boolean DEFAULT false,
    overwritten boolean DEFAULT false)
RETURNS task_sync_internal.change
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ROW(work_order_id, task_id, action, work_order_process_id, process_code, task_type, source_kind, source_id,
           -- for each synced field:
           --   {name},
           work_content,
           production_quantity,
           -- end
           -- for each synced field:
           --   previous_{name},
           previous_work_content,
           previous_production_quantity,
           -- end
           restored, overwritten)::task_sync_internal.change;

COMMENT ON FUNCTION task_sync_internal._change_row(bigint, bigint, text, bigint, text, text, text, bigint, text, integer, text, integer, boolean, boolean) IS
    'One change a sync applied, built by name (named notation; unset columns take a change''s defaults)';

CREATE OR REPLACE FUNCTION task_sync_internal._plan_rows(
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
        WHERE work_order_id = ANY (p_work_order_ids)
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
          AND wop.work_order_id = ANY (p_work_order_ids)   -- bounded scan, also when hashing
    LEFT JOIN task_sync.process p ON p.id = wop.process_id
    WHERE (g.work_order_id, g.wpk, g.task_type, g.source_kind, g.source_id) IN (SELECT * FROM gone_key)
    UNION ALL
    -- drafts whose key is in D, three ways: a conflict the sync does not write stays a conflict,
    -- any field it writes makes an update (_field_writes), else the draft is kept
    SELECT (task_sync_internal._plan_line(
               work_order_id => m.work_order_id,
               action => CASE WHEN (
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
                              ELSE 'keep' END,
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
               edited => (
                   -- for each synced field, joined by "OR":
                   --   m.{name} IS DISTINCT FROM m.generated_{name}
                   m.work_content IS DISTINCT FROM m.generated_work_content
                   OR m.production_quantity IS DISTINCT FROM m.generated_production_quantity
                   -- end
                   ),
               update_fields => array_remove(ARRAY[
                   -- for each synced field, joined by ",":
                   --   CASE WHEN task_sync_internal._field_writes(m.{name}_outcome, p_overwrite_edits) THEN '{name}' END
                   CASE WHEN task_sync_internal._field_writes(m.work_content_outcome, p_overwrite_edits) THEN 'work_content' END,
                   CASE WHEN task_sync_internal._field_writes(m.production_quantity_outcome, p_overwrite_edits) THEN 'production_quantity' END
                   -- end
                   ], NULL),
               conflict_fields => array_remove(ARRAY[
                   -- for each synced field, joined by ",":
                   --   CASE WHEN m.{name}_outcome = 'conflict' THEN '{name}' END
                   CASE WHEN m.work_content_outcome = 'conflict' THEN 'work_content' END,
                   CASE WHEN m.production_quantity_outcome = 'conflict' THEN 'production_quantity' END
                   -- end
                   ], NULL),
               overwritten => p_overwrite_edits AND 'conflict' IN (
                   -- for each synced field, joined by ",":
                   --   m.{name}_outcome
                   m.work_content_outcome,
                   m.production_quantity_outcome
                   -- end
                   ))).*
    FROM matched m
$$;

COMMENT ON FUNCTION task_sync_internal._plan_rows(bigint[], boolean, boolean) IS
    'The sync plan of these work orders, unordered, including internal keep lines';

CREATE OR REPLACE FUNCTION task_sync_internal._task_update_ok(
    p_id bigint, p_work_order_id bigint, p_origin text, p_work_order_process_id bigint, p_task_type text,
    p_source_kind text, p_source_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_was       task_sync.task;
    v_column    text;
BEGIN
    IF p_id <= 0 THEN
        RETURN true;    -- the task__id_check constraint's to refuse
    END IF;
    SELECT * INTO v_was FROM task_sync.task t WHERE t.id = p_id;
    IF NOT FOUND THEN
        v_column := 'id';
    ELSIF p_origin IS DISTINCT FROM 'generated' THEN
        RETURN true;
    ELSE
        v_column := CASE
            WHEN v_was.origin IS DISTINCT FROM p_origin THEN 'origin'
            WHEN v_was.work_order_id IS DISTINCT FROM p_work_order_id THEN 'work_order_id'
            WHEN v_was.work_order_process_id IS DISTINCT FROM p_work_order_process_id THEN 'work_order_process_id'
            WHEN v_was.task_type IS DISTINCT FROM p_task_type THEN 'task_type'
            WHEN v_was.source_kind IS DISTINCT FROM p_source_kind THEN 'source_kind'
            WHEN v_was.source_id IS DISTINCT FROM p_source_id THEN 'source_id'
        END;
        IF v_column IS NULL THEN
            RETURN true;
        END IF;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'TSP01',
        MESSAGE = format('TSP01: column %s of task_sync.%s is the engine''s: an UPDATE may give it only its current value',
                         v_column, 'task'),
        DETAIL = format('These columns of task_sync.%s keep their values: %s.', 'task',
                        'id, work_order_id, work_order_process_id, origin, task_type, source_kind, source_id, '
                        -- for each synced field:
                        --   'generated_{name}, '
                        'generated_work_content, '
                        'generated_production_quantity, '
                        -- end
                        'created_at'),
        HINT = 'Write the row''s current value, or leave the column out of the UPDATE.';
END
$$;

COMMENT ON FUNCTION task_sync_internal._task_update_ok(bigint, bigint, text, bigint, text, text, bigint) IS
    'Row-level security check of an updated task: its id and a generated task''s key kept (TSP01), before any index entry';

CREATE OR REPLACE FUNCTION task_sync_internal._write_books(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
    p_restore_dismissed boolean, p_via text, p_marks bigint[], p_plan_hash text,
    p_changes task_sync_internal.change[])
RETURNS TABLE (
    work_order_id   bigint,
    sync_run_id     bigint,
    plan_hash       text,
    added           integer,
    removed         integer,
    updated         integer,
    conflicts       integer,
    synced_version  bigint
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH wo AS MATERIALIZED (
        -- the state before this statement's writes (one snapshot for the whole statement)
        SELECT w.id, w.synced_version
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
    ),
    taken AS (
        DELETE FROM task_sync.work_order_mark m
        WHERE m.work_order_id = ANY (p_work_order_ids) AND m.id = ANY (p_marks)
        RETURNING m.work_order_id, m.weight
    ),
    taken_per_wo AS (
        SELECT taken.work_order_id, sum(taken.weight) AS n FROM taken GROUP BY taken.work_order_id
    ),
    recovered AS (
        -- side effect only: a work order synced is no longer a failed one
        DELETE FROM task_sync.sync_failure f
        WHERE f.work_order_id = ANY (p_work_order_ids)
    ),
    hashes AS (
        SELECT h.work_order_id, h.plan_hash
        FROM task_sync_internal._plan_hashes(p_rows) AS h
        WHERE p_plan_hash IS NULL
    ),
    tallies AS (
        SELECT a.work_order_id,
               count(*) FILTER (WHERE a.action = 'add')::integer AS n_add,
               count(*) FILTER (WHERE a.action = 'remove')::integer AS n_remove,
               count(*) FILTER (WHERE a.action = 'update')::integer AS n_update,
               count(*) FILTER (WHERE a.action = 'conflict')::integer AS n_conflict
        FROM unnest(p_changes) a
        GROUP BY a.work_order_id
    ),
    per_wo AS (
        SELECT wo.id, wo.synced_version AS from_version,
               wo.synced_version + coalesce(tk.n, 0) AS to_version,
               coalesce(p_plan_hash, h.plan_hash, task_sync_internal._plan_hash('{}')) AS plan_hash,
               coalesce(t.n_add, 0) AS n_add, coalesce(t.n_remove, 0) AS n_remove,
               coalesce(t.n_update, 0) AS n_update, coalesce(t.n_conflict, 0) AS n_conflict
        FROM wo
        LEFT JOIN hashes h ON h.work_order_id = wo.id
        LEFT JOIN tallies t ON t.work_order_id = wo.id
        LEFT JOIN taken_per_wo tk ON tk.work_order_id = wo.id
    ),
    versions AS (
        -- side effect only: the marks taken in raise synced_version. A sync that changed anything
        -- writes the row even when no mark was taken (a new version, same values), so that a sync
        -- of it whose snapshot is older (REPEATABLE READ, SERIALIZABLE) fails at the row lock with
        -- 40001 instead of adding the same drafts again (_write_tasks)
        UPDATE task_sync.work_order w
        SET synced_version = p.to_version
        FROM per_wo p
        WHERE w.id = ANY (p_work_order_ids) AND w.id = p.id
          AND (p.to_version <> p.from_version OR p.n_add + p.n_remove + p.n_update + p.n_conflict > 0)
    ),
    runs AS (
        INSERT INTO task_sync.sync_run AS s (
            work_order_id, run_by, application_name, via, plan_hash, from_version, to_version,
            overwrite_edits, restore_dismissed, added, removed, updated, conflicts)
        SELECT p.id, task_sync_internal._caller(), current_setting('application_name'), p_via, p.plan_hash, p.from_version,
               p.to_version, p_overwrite_edits, p_restore_dismissed, p.n_add, p.n_remove, p.n_update, p.n_conflict
        FROM per_wo p
        WHERE p.from_version <> p.to_version OR p.n_add + p.n_remove + p.n_update + p.n_conflict > 0
        RETURNING s.id, s.work_order_id
    ),
    items AS (
        -- side effect only: the audit's items, each change under its work order's run, column by
        -- name (task_sync_internal.change is sync_item without sync_run_id: tests/api/test_catalog.py)
        INSERT INTO task_sync.sync_item (
            sync_run_id, work_order_id, task_id, action, work_order_process_id, process_code, task_type,
            source_kind, source_id,
            -- for each synced field:
            --   {name}, previous_{name},
            work_content, previous_work_content,
            production_quantity, previous_production_quantity,
            -- end
            restored, overwritten)
        SELECT runs.id, a.work_order_id, a.task_id, a.action, a.work_order_process_id, a.process_code, a.task_type,
               a.source_kind, a.source_id,
               -- for each synced field:
               --   a.{name}, a.previous_{name},
               a.work_content, a.previous_work_content,
               a.production_quantity, a.previous_production_quantity,
               -- end
               a.restored, a.overwritten
        FROM unnest(p_changes) a
        JOIN runs ON runs.work_order_id = a.work_order_id
    )
    SELECT p.id, runs.id, p.plan_hash, p.n_add, p.n_remove, p.n_update, p.n_conflict, p.to_version
    FROM per_wo p
    LEFT JOIN runs ON runs.work_order_id = p.id
    ORDER BY p.id;
END
$$;

COMMENT ON FUNCTION task_sync_internal._write_books(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text, task_sync_internal.change[]) IS
    'The books of a sync: marks taken in, versions, sync_run and sync_item rows (the second part of _apply)';

CREATE OR REPLACE FUNCTION task_sync_internal._write_tasks(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean)
RETURNS SETOF task_sync_internal.change
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT * FROM unnest(p_rows)
    ),
    del AS (
        DELETE FROM task_sync.task t
        USING r
        WHERE r.action = 'remove'
          AND t.work_order_id = ANY (p_work_order_ids)
          AND t.work_order_id = r.work_order_id AND t.id = r.task_id
          AND t.status = 'draft' AND t.origin = 'generated'
        RETURNING r.*
    ),
    ins AS (
        INSERT INTO task_sync.task AS t (
            work_order_id, work_order_process_id, status, origin, task_type, source_kind, source_id,
            -- for each synced field, joined by ",":
            --   {name}, generated_{name}
            work_content, generated_work_content,
            production_quantity, generated_production_quantity
            -- end
            )
        SELECT r.work_order_id, r.work_order_process_id, 'draft', 'generated', r.task_type, r.source_kind,
               r.source_id,
               -- for each synced field, joined by ",":
               --   r.desired_{name}, r.desired_{name}
               r.desired_work_content, r.desired_work_content,
               r.desired_production_quantity, r.desired_production_quantity
               -- end
        FROM r
        WHERE r.action = 'add'
        -- a plain insert (ON CONFLICT's speculative insertion cost 7 % of an initial batch): no
        -- generated task with this key can appear after the plan was read, since only the engine
        -- adds them (tg_any__guard_columns keeps writers to origin manual), under the work
        -- order's row lock, and at READ COMMITTED the plan is read after the lock is taken; a
        -- sync at REPEATABLE READ or SERIALIZABLE whose snapshot predates another's is refused
        -- at the lock (40001), because a sync that changes anything writes the work order row
        -- (_write_books)
        RETURNING t.id, t.work_order_id, t.work_order_process_id, t.task_type, t.source_kind, t.source_id
    ),
    upd AS (
        UPDATE task_sync.task t SET
            -- three ways, on the row as it is now (_field_write): a field still at its baseline takes
            -- the rule value; an edited field keeps the planner's value unless told to overwrite a conflict
            -- for each synced field, joined by ",":
            --   {name} = task_sync_internal._field_write(
            --       t.{name}, t.generated_{name}, r.desired_{name}, p_overwrite_edits),
            --   generated_{name} = r.desired_{name}
            work_content = task_sync_internal._field_write(
                t.work_content, t.generated_work_content, r.desired_work_content, p_overwrite_edits),
            generated_work_content = r.desired_work_content,
            production_quantity = task_sync_internal._field_write(
                t.production_quantity, t.generated_production_quantity, r.desired_production_quantity, p_overwrite_edits),
            generated_production_quantity = r.desired_production_quantity
            -- end
        FROM r
        WHERE (r.action IN ('update', 'conflict')
               -- a kept draft is written only when its baseline moves (the engine alone writes
               -- baselines, under the work order's lock, so the plan's baseline is the row's)
               OR (r.action = 'keep'
                   AND (
                       -- for each synced field, joined by "OR":
                       --   r.baseline_{name} IS DISTINCT FROM r.desired_{name}
                       r.baseline_work_content IS DISTINCT FROM r.desired_work_content
                       OR r.baseline_production_quantity IS DISTINCT FROM r.desired_production_quantity
                       -- end
                       )))
          AND t.work_order_id = ANY (p_work_order_ids)
          AND t.work_order_id = r.work_order_id AND t.id = r.task_id
          AND t.status = 'draft' AND t.origin = 'generated'
          AND (
               -- for each synced field, joined by "OR":
               --   t.generated_{name} IS DISTINCT FROM r.desired_{name}
               t.generated_work_content IS DISTINCT FROM r.desired_work_content
               OR t.generated_production_quantity IS DISTINCT FROM r.desired_production_quantity
               -- end
               )
        RETURNING r.*,
                  -- for each synced field, joined by ",":
                  --   t.{name} AS new_{name}
                  t.work_content AS new_work_content,
                  t.production_quantity AS new_production_quantity
                  -- end
    ),
    forgotten AS (
        -- side effect only (nothing reads it: PostgreSQL runs every data-modifying WITH statement to
        -- completion, read or not).
        -- Forget dismissals whose key the plan does not desire, and the ones restored; a key the
        -- plan desires keeps its dismissal even when the plan saw its draft (as keep, update or
        -- conflict): a planner may have deleted that draft after the plan was read
        DELETE FROM task_sync.task_dismissal x
        WHERE x.work_order_id = ANY (p_work_order_ids)
          AND NOT EXISTS (
              SELECT FROM r
              WHERE r.action IN ('add', 'dismissed', 'update', 'conflict', 'keep')
                AND NOT r.restored
                AND r.work_order_id = x.work_order_id AND r.work_order_process_id = x.work_order_process_id
                AND r.task_type = x.task_type AND r.source_kind = x.source_kind AND r.source_id = x.source_id)
    )
    -- the changes, as the audit records them: the values before and after, each built by name
    -- (_change_row), so a column of task_sync_internal.change is set where a branch names it
    SELECT (task_sync_internal._change_row(
               work_order_id => del.work_order_id, task_id => del.task_id, action => 'remove',
               work_order_process_id => del.work_order_process_id, process_code => del.process_code,
               task_type => del.task_type, source_kind => del.source_kind, source_id => del.source_id,
               -- for each synced field, joined by ",":
               --   previous_{name} => del.current_{name}
               previous_work_content => del.current_work_content,
               previous_production_quantity => del.current_production_quantity
               -- end
               )).*
    FROM del
    UNION ALL
    SELECT (task_sync_internal._change_row(
               work_order_id => ins.work_order_id, task_id => ins.id, action => 'add',
               work_order_process_id => r.work_order_process_id, process_code => r.process_code,
               task_type => r.task_type, source_kind => r.source_kind, source_id => r.source_id,
               -- for each synced field:
               --   {name} => r.desired_{name},
               work_content => r.desired_work_content,
               production_quantity => r.desired_production_quantity,
               -- end
               restored => r.restored)).*
    FROM ins
    JOIN r ON r.work_order_id = ins.work_order_id AND r.work_order_process_id = ins.work_order_process_id
          AND r.task_type = ins.task_type AND r.source_kind = ins.source_kind AND r.source_id = ins.source_id
          AND r.action = 'add'
    UNION ALL
    -- labelled as the plan labels it (a draft with a conflict in one field and an update in the
    -- other is a conflict; with p_overwrite_edits it is an update), so that execute's counts
    -- are its preview's summary; the values before and after say what was written
    SELECT (task_sync_internal._change_row(
               work_order_id => upd.work_order_id, task_id => upd.task_id, action => upd.action,
               work_order_process_id => upd.work_order_process_id, process_code => upd.process_code,
               task_type => upd.task_type, source_kind => upd.source_kind, source_id => upd.source_id,
               -- for each synced field:
               --   {name} => upd.new_{name}, previous_{name} => upd.current_{name},
               work_content => upd.new_work_content, previous_work_content => upd.current_work_content,
               production_quantity => upd.new_production_quantity, previous_production_quantity => upd.current_production_quantity,
               -- end
               overwritten => upd.overwritten)).*
    FROM upd
    WHERE upd.action <> 'keep';
END
$$;

COMMENT ON FUNCTION task_sync_internal._write_tasks(bigint[], task_sync.plan_row[], boolean) IS
    'The task writes of a computed plan, in one statement, and the changes they made (the first part of _apply)';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_task__mark()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF task_sync_internal._applying() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM task_sync_internal._mark(ARRAY(
            SELECT DISTINCT n.work_order_id FROM new_rows n WHERE n.origin = 'generated'));
        RETURN NULL;
    END IF;
    PERFORM task_sync_internal._dismiss(ARRAY(
        SELECT o::task_sync.task FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.origin = 'generated' AND n.origin = 'manual'));
    PERFORM task_sync_internal._mark(ARRAY(
        SELECT DISTINCT x.work_order_id
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.work_order_id), (n.work_order_id)) AS x(work_order_id)
        WHERE (o.origin = 'generated' OR n.origin = 'generated')
          AND NOT (o.origin = 'generated' AND n.origin = 'manual')
          AND ((o.origin, o.work_order_id, o.work_order_process_id, o.task_type, o.source_kind, o.source_id,
                -- for each synced field, joined by ",":
                --   o.generated_{name}
                o.generated_work_content,
                o.generated_production_quantity
                -- end
                )
               IS DISTINCT FROM
               (n.origin, n.work_order_id, n.work_order_process_id, n.task_type, n.source_kind, n.source_id,
                -- for each synced field, joined by ",":
                --   n.generated_{name}
                n.generated_work_content,
                n.generated_production_quantity
                -- end
                )
               OR (o.status <> 'draft' AND n.status = 'draft'))));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_task__mark() IS
    'Marks work orders whose generated tasks people changed in ways a sync cares about; a task turned manual is a dismissal';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;

