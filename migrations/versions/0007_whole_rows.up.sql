-- 0007_whole_rows up: whole-row writes work; the engine's books are protected by value.
--   * Writers get INSERT, UPDATE and DELETE on work orders, route rows, links, lines and tasks as
--     whole tables (ORMs name every column: Django's save(), an INSERT with DEFAULT); the
--     column-by-column grants are revoked.
--   * tg_any__guard_columns protects the engine's columns by value instead: a new row takes their
--     defaults, an UPDATE keeps their values (TSP01 naming the column otherwise, nothing changed).
--     Statement-level AFTER triggers: a BEFORE ROW UPDATE trigger would lock rows more strongly.
--   * tg_task__guard_id: a new task's id is the one the sequence gave the session, so a writer's
--     id can never be the one a sync draws next.
--   * _source_kind_dress grants whole tables and adds the guard to the links and lines of every
--     kind; every registered kind is dressed again here.
--   * tg_work_order_process__guard_formal locks the tasks it counts (a draft being made formal is
--     waited for), and its hint names every formal status.
--   * every column of task_sync.plan_row has a comment.
-- Frozen copy of the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

-- task_sync_internal.tg_any__guard_columns() -> trigger
-- Statement-level AFTER INSERT / UPDATE trigger of every table writers write (work_order,
-- work_order_process, task and the links and lines of every source kind), with transition tables
-- new_rows / old_rows. It guards the engine's columns by value, not by the columns a statement
-- names, so that ORMs that write whole rows work (Django's save() names every column; an INSERT may
-- name a column with its default):
--   INSERT  TG_ARGV[0] is a jsonb object of the values engine-owned columns must hold in a new row,
--           their defaults (e.g. {"synced_version": 0}); any other value is refused;
--   UPDATE  TG_ARGV lists the columns that keep their value (ids, the work order a row belongs to,
--           versions, baselines, a task's origin and generation key, created_at); every other
--           column is the writer's. Rows are compared whole (the kept columns of old_rows against
--           those of new_rows, as multisets: the ids they include tell the rows apart).
-- Statement-level and AFTER on purpose: one call per statement (the engine's own writes of
-- thousands of drafts cost one), and no row lock of its own. A BEFORE ROW UPDATE trigger would make
-- PostgreSQL lock every updated row before the update, in the strength the SET list implies (FOR
-- UPDATE for Django's save(), which names the keys), where the update itself takes FOR NO KEY
-- UPDATE when no key value changes; that stronger lock conflicts with the KEY SHARE locks of
-- foreign key checks and syncs, and made edits deadlock with execute. A refusal raises TSP01 naming
-- the table and the column, and the statement changes nothing. (A change that also breaks a key or
-- a foreign key, such as giving a route row that has tasks another id, is refused by that
-- constraint first, which is checked row by row.) Roles that hold the table owner's rights (the
-- schema owner, and so the engine's SECURITY DEFINER functions, and superusers) are not checked: the
-- books are theirs to write. SECURITY INVOKER on purpose: current_user is who wrote.
-- Locks:   none.
-- Raises:  TSP01 an engine-owned column was given another value.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal.tg_any__guard_columns()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_writable  text[];
    v_column    text;
    v_given     jsonb;
    v_kept      jsonb;
BEGIN
    IF pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE') THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT r.key, to_jsonb(n) -> r.key, r.value
        INTO v_column, v_given, v_kept
        FROM new_rows n
        CROSS JOIN LATERAL jsonb_each(TG_ARGV[0]::jsonb) AS r
        WHERE to_jsonb(n) -> r.key IS DISTINCT FROM r.value
        LIMIT 1;
        IF v_column IS NOT NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'TSP01',
                MESSAGE = format('column %s of task_sync.%s is the engine''s: a new row takes its default (%s), not %s',
                                 v_column, TG_TABLE_NAME, v_kept, v_given),
                DETAIL = 'Only pytask_sync writes the engine''s books (versions, baselines, a generated task''s identity).',
                HINT = format('Leave %s out of the INSERT, or give it DEFAULT.', v_column);
        END IF;
        RETURN NULL;
    END IF;

    -- UPDATE: every column but the kept ones is the writer's
    v_writable := ARRAY(
        SELECT a.attname::text FROM pg_attribute a
        WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> ALL (TG_ARGV));
    IF NOT EXISTS (
        SELECT to_jsonb(o) - v_writable FROM old_rows o
        EXCEPT ALL
        SELECT to_jsonb(n) - v_writable FROM new_rows n) THEN
        RETURN NULL;
    END IF;
    -- a task whose route row this statement deleted lost its process to the foreign key's ON DELETE
    -- SET NULL, not to the writer (before PostgreSQL 17 that action's triggers fire with the
    -- writer as current_user): its process is not compared. (Read through jsonb: this function
    -- serves tables without that column too.)
    IF TG_TABLE_NAME = 'task' THEN
        IF NOT EXISTS (
               SELECT to_jsonb(o) - v_writable - 'work_order_process_id' FROM old_rows o
               EXCEPT ALL
               SELECT to_jsonb(n) - v_writable - 'work_order_process_id' FROM new_rows n)
           AND NOT EXISTS (
               SELECT FROM old_rows o
               JOIN new_rows n ON to_jsonb(n) -> 'id' = to_jsonb(o) -> 'id'
               WHERE to_jsonb(o) -> 'work_order_process_id' IS DISTINCT FROM to_jsonb(n) -> 'work_order_process_id'
                 AND (to_jsonb(n) -> 'work_order_process_id' <> 'null'::jsonb
                      OR EXISTS (SELECT FROM task_sync.work_order_process p
                                 WHERE p.work_order_id = (to_jsonb(o) ->> 'work_order_id')::bigint
                                   AND p.id = (to_jsonb(o) ->> 'work_order_process_id')::bigint))) THEN
            RETURN NULL;
        END IF;
    END IF;
    -- which column: one whose values changed as a whole, else (values swapped between rows) the
    -- first that differs in a row matched by its id
    SELECT k INTO v_column
    FROM unnest(TG_ARGV) AS k
    WHERE EXISTS (SELECT to_jsonb(o) -> k FROM old_rows o EXCEPT ALL SELECT to_jsonb(n) -> k FROM new_rows n)
    LIMIT 1;
    IF v_column IS NULL THEN
        SELECT k INTO v_column
        FROM old_rows o
        JOIN new_rows n ON to_jsonb(n) -> 'id' = to_jsonb(o) -> 'id'
        CROSS JOIN LATERAL unnest(TG_ARGV) AS k
        WHERE to_jsonb(o) -> k IS DISTINCT FROM to_jsonb(n) -> k
        LIMIT 1;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'TSP01',
        MESSAGE = format('column %s of task_sync.%s is the engine''s: an UPDATE may give it only its current value',
                         coalesce(v_column, array_to_string(TG_ARGV, ', ')), TG_TABLE_NAME),
        DETAIL = format('These columns of task_sync.%s keep their values: %s.', TG_TABLE_NAME, array_to_string(TG_ARGV, ', ')),
        HINT = 'Write the row''s current value, or leave the column out of the UPDATE.';
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_any__guard_columns() IS
    'Refuses a writer''s value for an engine-owned column (TSP01): defaults on INSERT, current values on UPDATE';

-- task_sync_internal.tg_task__guard_id() -> trigger
-- BEFORE INSERT row-level trigger of task, for rows that are not generated (WHEN origin is not
-- 'generated'; the engine's own inserts are generated and skip it). A task's id is drawn from the
-- table's identity sequence, by people's inserts and the engine's alike: an id chosen by hand
-- could be one the sequence hands the engine next, and the engine's insert would then wait for
-- that transaction and fail on the key. So a new task's positive id must be the one this session
-- just drew from the sequence (what leaving id out, or DEFAULT, gives); an id it drew before and
-- reuses cannot collide with the engine's either. Zero and negative ids are left to the
-- task__id_check constraint (23514), and roles with the table owner's rights (the schema owner,
-- a restore of a dump, superusers) may give any id. It is row-level and BEFORE so that no index
-- entry is ever made for a refused id.
-- SECURITY DEFINER (owner's rights, search_path pinned): currval needs a right on the sequence
-- that no reader or writer holds; it reads only the new row and the session's own sequence state,
-- and judges the role the session acts as (_caller), not the owner it runs as.
-- Locks:   none.
-- Raises:  TSP01 a positive id that is not the one the sequence gave this session.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal.tg_task__guard_id()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_drawn bigint;
BEGIN
    IF NEW.id <= 0
       OR pg_has_role(task_sync_internal._caller()::name, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE') THEN
        RETURN NEW;
    END IF;
    BEGIN
        v_drawn := currval('task_sync.task_id_seq'::regclass);
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        v_drawn := NULL;    -- this session never drew a task id
    END;
    IF NEW.id IS DISTINCT FROM v_drawn THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSP01',
            MESSAGE = format('column id of task_sync.task is the engine''s: a new task takes its id from the sequence, not %s',
                             NEW.id),
            DETAIL = 'An id chosen by hand could be the next one the sequence gives a sync, which would then fail.',
            HINT = 'Leave id out of the INSERT (or give it DEFAULT); RETURNING id tells the id it got.';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_task__guard_id() IS
    'Refuses a hand-chosen id for a new task (TSP01): ids come from the sequence, so they never collide with a sync''s';

-- task_sync_internal.tg_work_order_process__guard_formal() -> trigger
-- BEFORE DELETE row-level trigger of work_order_process: refuses to delete a process of a work
-- order while formal tasks (any status but draft: pending, in progress, completed, cancelled)
-- still belong to it. It is row-level and BEFORE because it must look before the foreign key's
-- ON DELETE SET NULL detaches the tasks (that action runs before any statement-level AFTER
-- trigger, and BEFORE triggers have no transition tables); it is one index probe per deleted row.
-- Draft tasks of the process are kept, without a process, until a sync removes them.
-- Race-free: it locks the process's tasks (FOR NO KEY UPDATE, the lock the ON DELETE SET NULL that
-- follows takes anyway, so it adds no lock dependency) and judges their latest committed status:
-- a draft a planner is making formal in an open transaction is waited for, and then counted. A
-- task that is formal when the delete commits never loses its process.
-- Locks:   the process's task rows FOR NO KEY UPDATE (until commit).
-- Raises:  TSC04 the process still has formal tasks.
-- Writes:  nothing.

CREATE OR REPLACE FUNCTION task_sync_internal.tg_work_order_process__guard_formal()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count bigint;
BEGIN
    SELECT count(*) FILTER (WHERE t.status <> 'draft') INTO v_count
    FROM (SELECT t.status
          FROM task_sync.task t
          WHERE t.work_order_id = OLD.work_order_id AND t.work_order_process_id = OLD.id
          FOR NO KEY UPDATE) AS t;
    IF v_count > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC04',
            MESSAGE = format('process %s of work order %s still has %s formal task(s)',
                             OLD.id, OLD.work_order_id, v_count),
            DETAIL = 'A task is formal in every status but draft: pending, in_progress, completed and cancelled.',
            HINT = 'Delete those tasks first, or keep the process; pytask_sync never removes formal tasks.';
    END IF;
    RETURN OLD;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order_process__guard_formal() IS
    'Refuses deleting a route process that still has formal tasks (TSC04), waiting for tasks being changed';

-- task_sync_internal._source_kind_dress(p_kind text) -> void
-- Gives the tables of a registered kind what every kind's tables have, idempotently: the
-- triggers that mark work orders (INSERT, UPDATE, DELETE and TRUNCATE of work_order_<kind>; a
-- rename in the catalog <kind>, which reaches tasks through {source_name}), the grants
-- (task_sync_reader reads both tables; task_sync_writer inserts, updates and deletes links or
-- lines, naming any column, but a row's id and work order keep their values: the trigger
-- work_order_<kind>__guard_update), and the comments. create_source_kind calls it for a new
-- kind; the revision that registered the built-in kinds called it for theirs, so built-in and
-- created kinds are dressed alike.
-- Owner only (it creates triggers and grants).
-- Locks:   the two tables, SHARE ROW EXCLUSIVE (CREATE TRIGGER), until commit.
-- Raises:  nothing of its own.
-- Writes:  triggers, grants and comments of task_sync.<kind> and task_sync.work_order_<kind>.

CREATE OR REPLACE FUNCTION task_sync_internal._source_kind_dress(p_kind text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_lines boolean := (SELECT k.shape = 'line' FROM task_sync.source_kind k WHERE k.kind = p_kind);
    v_link  text := 'work_order_' || p_kind;
    v_ref   text := p_kind || '_id';
    v_op    text;
BEGIN
    FOREACH v_op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
        EXECUTE format(
            'CREATE OR REPLACE TRIGGER %I AFTER %s ON task_sync.%I REFERENCING %s'
            ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_work_order_input__mark()',
            task_sync_internal._ident(v_link || '__mark_' || v_op), upper(v_op), v_link,
            CASE v_op WHEN 'insert' THEN 'NEW TABLE AS new_rows'
                      WHEN 'update' THEN 'OLD TABLE AS old_rows NEW TABLE AS new_rows'
                      ELSE 'OLD TABLE AS old_rows' END);
    END LOOP;
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I AFTER TRUNCATE ON task_sync.%I'
        ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__mark_truncate()',
        task_sync_internal._ident(v_link || '__mark_truncate'), v_link);
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON task_sync.%I'
        ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
        ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_catalog__mark()',
        task_sync_internal._ident(p_kind || '__mark_update'), p_kind);
    -- a row's id and work order keep their values (by value: ORMs name every column)
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON task_sync.%I'
        ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
        ' FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns(''work_order_id''%s)',
        task_sync_internal._ident(v_link || '__guard_update'), v_link, CASE WHEN v_lines THEN ', ''id''' ELSE '' END);

    EXECUTE format('GRANT SELECT ON task_sync.%I, task_sync.%I TO task_sync_reader', p_kind, v_link);
    EXECUTE format('GRANT INSERT, UPDATE, DELETE ON task_sync.%I TO task_sync_writer', v_link);

    EXECUTE format('COMMENT ON TABLE task_sync.%I IS %L', p_kind,
                   format('Catalog of the source kind %s: what work orders link to, by code and name', p_kind));
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.id IS %L', p_kind,
                   CASE WHEN v_lines THEN 'The catalog row (lines point at it)' ELSE 'The catalog row: the source_id of its tasks' END);
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.code IS %L', p_kind, 'Unique code');
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.name IS %L', p_kind,
                   'Name, as a template''s {source_name} shows it (a rename marks the work orders that use the row)');
    IF v_lines THEN
        EXECUTE format('COMMENT ON TABLE task_sync.%I IS %L', v_link, format(
            'Lines of %s on work orders: a rule of source_kind %s yields one task per line '
            '(source_id = the line id; quantity_source source takes its quantity)', p_kind, p_kind));
        EXECUTE format('COMMENT ON COLUMN task_sync.%I.id IS %L', v_link, 'The line, and the source_id of its tasks');
        EXECUTE format('COMMENT ON COLUMN task_sync.%I.quantity IS %L', v_link,
                       'The line''s quantity (>= 0): a task''s production_quantity when its rule says source');
    ELSE
        EXECUTE format('COMMENT ON TABLE task_sync.%I IS %L', v_link, format(
            'Links of work orders to %s: a rule of source_kind %s yields one task per link '
            '(source_id = %s)', p_kind, p_kind, v_ref));
    END IF;
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.work_order_id IS %L', v_link, 'The work order');
    EXECUTE format('COMMENT ON COLUMN task_sync.%I.%I IS %L', v_link, v_ref, format('The %s (catalog row)', p_kind));
END
$$;

COMMENT ON FUNCTION task_sync_internal._source_kind_dress(text) IS
    'Gives a registered kind''s tables their triggers, grants and comments (idempotent)';

-- The engine's columns, protected by value (tg_any__guard_columns): a new row takes their defaults,
-- an UPDATE keeps their values; writers may name any column (ORMs write whole rows). Statement-level:
-- a row-level BEFORE UPDATE trigger would lock every updated row in the strength its SET list
-- implies (see there). The links and lines of each source kind get theirs from _source_kind_dress.
CREATE TRIGGER work_order__guard_insert AFTER INSERT ON task_sync.work_order
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns('{"synced_version": 0}');
CREATE TRIGGER work_order__guard_update AFTER UPDATE ON task_sync.work_order
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns('id', 'synced_version', 'created_at');
CREATE TRIGGER work_order_process__guard_update AFTER UPDATE ON task_sync.work_order_process
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns('id', 'work_order_id');
CREATE TRIGGER task__guard_insert AFTER INSERT ON task_sync.task
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns(
        '{"origin": "manual", "generated_work_content": null, "generated_production_quantity": null}');
CREATE TRIGGER task__guard_update AFTER UPDATE ON task_sync.task
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_any__guard_columns(
        'id', 'work_order_id', 'work_order_process_id', 'origin', 'task_type', 'source_kind', 'source_id',
        'generated_work_content', 'generated_production_quantity', 'created_at');

-- A new task's id is the sequence's (tg_task__guard_id); the engine's inserts are generated rows.
CREATE TRIGGER task__guard_id BEFORE INSERT ON task_sync.task
    FOR EACH ROW WHEN (NEW.origin IS DISTINCT FROM 'generated')
    EXECUTE FUNCTION task_sync_internal.tg_task__guard_id();

-- Whole tables for writers: the column grants go (every column of every table of the schema that
-- the writer holds a column right on), then the tables, then every kind is dressed again.
DO $$
DECLARE
    v_rel   regclass;
    v_col   name;
BEGIN
    FOR v_rel, v_col IN
        SELECT a.attrelid::regclass, a.attname
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) AS x
        WHERE c.relnamespace = 'task_sync'::regnamespace AND a.attacl IS NOT NULL
          AND x.grantee = 'task_sync_writer'::regrole
        GROUP BY 1, 2
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL (%I) ON %s FROM task_sync_writer', v_col, v_rel);
    END LOOP;
END
$$;
GRANT INSERT, UPDATE, DELETE ON task_sync.work_order, task_sync.work_order_process, task_sync.task
TO task_sync_writer;
SELECT task_sync_internal._source_kind_dress(k.kind) FROM task_sync.source_kind k WHERE k.shape <> 'work_order' ORDER BY k.kind;

-- every column of task_sync.plan_row described, so that \d+ task_sync.plan_row reads as the reference
COMMENT ON COLUMN task_sync.plan_row.work_order_id IS 'The work order';
COMMENT ON COLUMN task_sync.plan_row.action IS
    'add, remove, update, conflict, dismissed or orphaned (what a sync with the same flags does with this task)';
COMMENT ON COLUMN task_sync.plan_row.task_id IS 'The task (NULL for add and dismissed: no draft exists)';
COMMENT ON COLUMN task_sync.plan_row.work_order_process_id IS 'The route row of the generation key (NULL: its process was deleted)';
COMMENT ON COLUMN task_sync.plan_row.process_code IS 'The code of that route row''s process';
COMMENT ON COLUMN task_sync.plan_row.task_type IS 'The task type of the generation key';
COMMENT ON COLUMN task_sync.plan_row.source_kind IS 'The source kind of the generation key';
COMMENT ON COLUMN task_sync.plan_row.source_id IS 'The source of the generation key (a catalog id, a line id or the work order id)';
COMMENT ON COLUMN task_sync.plan_row.current_work_content IS 'What the task holds now (NULL for add and dismissed)';
COMMENT ON COLUMN task_sync.plan_row.baseline_work_content IS 'What the engine generated last time (the baseline)';
COMMENT ON COLUMN task_sync.plan_row.desired_work_content IS 'What the rules yield now (NULL for remove and orphaned)';
COMMENT ON COLUMN task_sync.plan_row.current_production_quantity IS 'What the task holds now (NULL for add and dismissed)';
COMMENT ON COLUMN task_sync.plan_row.baseline_production_quantity IS 'What the engine generated last time (the baseline)';
COMMENT ON COLUMN task_sync.plan_row.desired_production_quantity IS 'What the rules yield now (NULL for remove and orphaned)';
COMMENT ON COLUMN task_sync.plan_row.edited IS 'The draft differs from its baseline: a planner changed it';
COMMENT ON COLUMN task_sync.plan_row.update_fields IS 'The fields a sync writes with the rule value';
COMMENT ON COLUMN task_sync.plan_row.conflict_fields IS 'The fields a planner changed while the rules moved too';
COMMENT ON COLUMN task_sync.plan_row.restored IS 'An add that re-adds a draft a planner deleted (p_restore_dismissed)';
COMMENT ON COLUMN task_sync.plan_row.overwritten IS
    'An update that overwrites the planner''s values in conflict_fields (p_overwrite_edits)';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
