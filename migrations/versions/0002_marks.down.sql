-- 0002_marks down: back to 0001's version columns on the work order row. The columns are put
-- back in 0001's order (synced_version and created_at are rebuilt after definition_version), so
-- the schema is 0001's again to the letter.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

DROP TRIGGER task__mark_insert ON task_sync.task;
DROP TRIGGER task__mark_update ON task_sync.task;
DROP TRIGGER work_order_process__mark_truncate ON task_sync.work_order_process;
DROP TRIGGER work_order_artwork__mark_truncate ON task_sync.work_order_artwork;
DROP TRIGGER work_order_die__mark_truncate ON task_sync.work_order_die;
DROP TRIGGER work_order_foiling_plate__mark_truncate ON task_sync.work_order_foiling_plate;
DROP TRIGGER work_order_embossing_plate__mark_truncate ON task_sync.work_order_embossing_plate;
DROP TRIGGER work_order_material__mark_truncate ON task_sync.work_order_material;
DROP TRIGGER work_order_product__mark_truncate ON task_sync.work_order_product;
DROP TRIGGER task__mark_truncate ON task_sync.task;
DROP TRIGGER task_dismissal__mark_truncate ON task_sync.task_dismissal;
DROP TRIGGER generation_rule__mark_truncate ON task_sync.generation_rule;
DROP TRIGGER work_order__forget_marks ON task_sync.work_order;

DROP FUNCTION
    task_sync._require_read_committed(text),
    task_sync._dismiss(task_sync.task[]),
    task_sync.tg_task__mark(),
    task_sync.tg_any__mark_truncate(),
    task_sync.tg_work_order__forget_marks(),
    task_sync.repair_marks(),
    task_sync._apply(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[]);

CREATE TEMP TABLE work_order_0002 ON COMMIT DROP AS
SELECT w.id, w.synced_version, w.created_at,
       (SELECT count(*) FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id) AS marks,
       (SELECT min(m.marked_at) FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id) AS since
FROM task_sync.work_order w;
DROP TABLE task_sync.work_order_mark;
ALTER TABLE task_sync.work_order DROP CONSTRAINT work_order__synced_version_check;
ALTER TABLE task_sync.work_order DROP COLUMN synced_version, DROP COLUMN created_at;
ALTER TABLE task_sync.work_order
    ADD COLUMN definition_version bigint NOT NULL DEFAULT 0,
    ADD COLUMN synced_version bigint NOT NULL DEFAULT 0,
    ADD COLUMN pending_since timestamptz,
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE task_sync.work_order DISABLE TRIGGER work_order__mark_update;
UPDATE task_sync.work_order w
SET definition_version = k.synced_version + k.marks, synced_version = k.synced_version,
    pending_since = k.since, created_at = k.created_at
FROM work_order_0002 k
WHERE k.id = w.id;
ALTER TABLE task_sync.work_order ENABLE TRIGGER work_order__mark_update;
ALTER TABLE task_sync.work_order
    ADD CONSTRAINT work_order__synced_version_check CHECK (synced_version <= definition_version);
COMMENT ON TABLE task_sync.work_order IS
    'A job; it needs a sync while definition_version > synced_version (both maintained by the engine)';
-- pending(): work orders that need a sync, oldest change first; small, as most are synced
CREATE INDEX work_order__pending_idx ON task_sync.work_order (pending_since, id)
    WHERE definition_version > synced_version;

CREATE FUNCTION task_sync._apply(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
    p_restore_dismissed boolean, p_via text)
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
    PERFORM set_config('task_sync.applying', 'on', true);
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT * FROM unnest(p_rows)
    ),
    wo AS MATERIALIZED (
        -- the state before this statement's writes (one snapshot for the whole statement)
        SELECT w.id, w.synced_version, w.definition_version
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
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
            work_content, production_quantity, generated_work_content, generated_production_quantity)
        SELECT r.work_order_id, r.work_order_process_id, 'draft', 'generated', r.task_type, r.source_kind,
               r.source_id, r.desired_work_content, r.desired_production_quantity,
               r.desired_work_content, r.desired_production_quantity
        FROM r
        WHERE r.action = 'add' OR (r.action = 'dismissed' AND p_restore_dismissed)
        -- a generated task with this key that appeared since the plan was read satisfies it
        ON CONFLICT (work_order_id, work_order_process_id, task_type, source_kind, source_id)
            WHERE origin = 'generated' DO NOTHING
        RETURNING t.id, t.work_order_id, t.work_order_process_id, t.task_type, t.source_kind, t.source_id
    ),
    upd AS (
        UPDATE task_sync.task t SET
            -- three ways, on the row as it is now: a field still at its baseline takes the rule
            -- value; an edited field keeps the planner's value unless told to overwrite a conflict
            work_content = CASE
                WHEN t.work_content IS NOT DISTINCT FROM t.generated_work_content THEN r.desired_work_content
                WHEN p_overwrite_edits AND r.desired_work_content IS DISTINCT FROM t.generated_work_content
                    THEN r.desired_work_content
                ELSE t.work_content END,
            production_quantity = CASE
                WHEN t.production_quantity IS NOT DISTINCT FROM t.generated_production_quantity
                    THEN r.desired_production_quantity
                WHEN p_overwrite_edits AND r.desired_production_quantity IS DISTINCT FROM t.generated_production_quantity
                    THEN r.desired_production_quantity
                ELSE t.production_quantity END,
            generated_work_content = r.desired_work_content,
            generated_production_quantity = r.desired_production_quantity
        FROM r
        WHERE (r.action IN ('update', 'conflict')
               -- a kept draft is written only when its baseline moves (the engine alone writes
               -- baselines, under the work order's lock, so the plan's baseline is the row's)
               OR (r.action = 'keep'
                   AND (r.baseline_work_content IS DISTINCT FROM r.desired_work_content
                        OR r.baseline_production_quantity IS DISTINCT FROM r.desired_production_quantity)))
          AND t.work_order_id = ANY (p_work_order_ids)
          AND t.work_order_id = r.work_order_id AND t.id = r.task_id
          AND t.status = 'draft' AND t.origin = 'generated'
          AND (t.generated_work_content IS DISTINCT FROM r.desired_work_content
               OR t.generated_production_quantity IS DISTINCT FROM r.desired_production_quantity)
        RETURNING r.*, t.work_content AS new_work_content, t.production_quantity AS new_production_quantity
    ),
    forgotten AS (
        -- forget dismissals whose key the plan does not desire, and the ones restored; a key the
        -- plan desires keeps its dismissal even when the plan saw its draft (as keep, update or
        -- conflict): a planner may have deleted that draft after the plan was read
        DELETE FROM task_sync.task_dismissal x
        WHERE x.work_order_id = ANY (p_work_order_ids)
          AND NOT EXISTS (
              SELECT FROM r
              WHERE r.action IN ('add', 'dismissed', 'update', 'conflict', 'keep')
                AND NOT (r.action = 'dismissed' AND p_restore_dismissed)
                AND r.work_order_id = x.work_order_id AND r.work_order_process_id = x.work_order_process_id
                AND r.task_type = x.task_type AND r.source_kind = x.source_kind AND r.source_id = x.source_id)
        RETURNING x.work_order_id
    ),
    applied AS (
        -- the itemised changes, as the audit records them
        SELECT del.work_order_id, 'remove' AS action, to_jsonb(del) AS item FROM del
        UNION ALL
        SELECT ins.work_order_id, 'add',
               to_jsonb(r) || jsonb_build_object('action', 'add', 'task_id', ins.id, 'restored', r.action = 'dismissed')
        FROM ins
        JOIN r ON r.work_order_id = ins.work_order_id AND r.work_order_process_id = ins.work_order_process_id
              AND r.task_type = ins.task_type AND r.source_kind = ins.source_kind AND r.source_id = ins.source_id
              AND r.action IN ('add', 'dismissed')
        UNION ALL
        SELECT upd.work_order_id,
               CASE WHEN upd.new_work_content IS DISTINCT FROM upd.current_work_content
                      OR upd.new_production_quantity IS DISTINCT FROM upd.current_production_quantity
                    THEN 'update' ELSE 'conflict' END,
               (to_jsonb(upd) - 'new_work_content' - 'new_production_quantity')
               || jsonb_build_object('work_content', upd.new_work_content,
                                     'production_quantity', upd.new_production_quantity,
                                     'overwritten', upd.action = 'conflict' AND p_overwrite_edits)
        FROM upd
        WHERE upd.action <> 'keep'
    ),
    hashes AS (
        SELECT x.work_order_id, task_sync._plan_hash(array_agg(x::task_sync.plan_row)) AS plan_hash
        FROM r AS x
        GROUP BY x.work_order_id
    ),
    tallies AS (
        SELECT a.work_order_id,
               count(*) FILTER (WHERE a.action = 'add')::integer AS n_add,
               count(*) FILTER (WHERE a.action = 'remove')::integer AS n_remove,
               count(*) FILTER (WHERE a.action = 'update')::integer AS n_update,
               count(*) FILTER (WHERE a.action = 'conflict')::integer AS n_conflict,
               jsonb_agg(a.item ORDER BY a.action, (a.item->>'task_id')::bigint) AS items
        FROM applied a
        GROUP BY a.work_order_id
    ),
    per_wo AS (
        SELECT wo.id, wo.synced_version AS from_version, wo.definition_version AS to_version,
               coalesce(h.plan_hash, task_sync._plan_hash('{}')) AS plan_hash,
               coalesce(t.n_add, 0) AS n_add, coalesce(t.n_remove, 0) AS n_remove,
               coalesce(t.n_update, 0) AS n_update, coalesce(t.n_conflict, 0) AS n_conflict,
               coalesce(t.items, '[]') AS items
        FROM wo
        LEFT JOIN hashes h ON h.work_order_id = wo.id
        LEFT JOIN tallies t ON t.work_order_id = wo.id
    ),
    versions AS (
        UPDATE task_sync.work_order w
        SET synced_version = w.definition_version, pending_since = NULL
        WHERE w.id = ANY (p_work_order_ids) AND w.synced_version <> w.definition_version
        RETURNING w.id
    ),
    runs AS (
        INSERT INTO task_sync.sync_run AS s (
            work_order_id, application_name, via, plan_hash, from_version, to_version,
            overwrite_edits, restore_dismissed, added, removed, updated, conflicts, items)
        SELECT p.id, current_setting('application_name'), p_via, p.plan_hash, p.from_version, p.to_version,
               p_overwrite_edits, p_restore_dismissed, p.n_add, p.n_remove, p.n_update, p.n_conflict, p.items
        FROM per_wo p
        WHERE p.from_version <> p.to_version OR p.items <> '[]'
        RETURNING s.id, s.work_order_id
    )
    SELECT p.id, runs.id, p.plan_hash, p.n_add, p.n_remove, p.n_update, p.n_conflict, p.to_version
    FROM per_wo p
    LEFT JOIN runs ON runs.work_order_id = p.id
    ORDER BY p.id;
    PERFORM set_config('task_sync.applying', 'off', true);
END
$$;

COMMENT ON FUNCTION task_sync._apply(bigint[], task_sync.plan_row[], boolean, boolean, text) IS
    'Applies a computed plan to these work orders in one statement and writes their sync_run rows';

CREATE OR REPLACE FUNCTION task_sync._mark(p_work_order_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    IF coalesce(cardinality(p_work_order_ids), 0) = 0 THEN
        RETURN 0;
    END IF;
    WITH locked AS (
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
        ORDER BY w.id
        FOR NO KEY UPDATE
    ),
    bumped AS (
        UPDATE task_sync.work_order w
        SET definition_version = w.definition_version + 1,
            pending_since = CASE WHEN w.definition_version = w.synced_version OR w.pending_since IS NULL
                                 THEN now() ELSE w.pending_since END
        FROM locked
        WHERE w.id = locked.id
        RETURNING w.id
    )
    SELECT count(pg_notify('task_sync', bumped.id::text)) INTO v_count FROM bumped;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync._mark(bigint[]) IS 'Raises definition_version of these work orders once and notifies task_sync';

CREATE OR REPLACE FUNCTION task_sync.check_sync_needed(p_work_order_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_wo task_sync.work_order := task_sync._work_order(p_work_order_id);
BEGIN
    RETURN v_wo.definition_version > v_wo.synced_version;
END
$$;

COMMENT ON FUNCTION task_sync.check_sync_needed(bigint) IS 'True when the work order''s inputs changed since its last sync';

CREATE OR REPLACE FUNCTION task_sync.execute(
    p_work_order_id bigint,
    p_confirmed boolean DEFAULT false,
    p_expected_plan_hash text DEFAULT NULL,
    p_overwrite_edits boolean DEFAULT false,
    p_restore_dismissed boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_wo    task_sync.work_order;
    v_rows  task_sync.plan_row[];
    v_hash  text;
    v_res   record;
BEGIN
    PERFORM task_sync._check_work_order_id(p_work_order_id);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('malformed plan hash: %L', p_expected_plan_hash),
            HINT = 'Pass the plan_hash of task_sync.preview(): 64 lowercase hex digits.';
    END IF;
    IF p_overwrite_edits IS NULL OR p_restore_dismissed IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = 'p_overwrite_edits and p_restore_dismissed must be true or false, not NULL';
    END IF;
    IF p_confirmed IS NOT TRUE THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC01',
            MESSAGE = format('confirmation required to sync work order %s', p_work_order_id),
            HINT = 'Read task_sync.preview(id) first, then call task_sync.execute(id, true, <plan_hash>).';
    END IF;

    PERFORM FROM task_sync.work_order_process WHERE work_order_id = p_work_order_id FOR KEY SHARE;
    SELECT * INTO v_wo FROM task_sync.work_order WHERE id = p_work_order_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSN01',
            MESSAGE = format('work order %s not found', p_work_order_id);
    END IF;
    IF NOT task_sync._may_sync(v_wo.status, v_wo.approval_status) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC03',
            MESSAGE = format('work order %s may not be synced', p_work_order_id),
            DETAIL = format('status is %s, approval_status is %s', v_wo.status, v_wo.approval_status),
            HINT = 'Only work orders that are not approved, completed or cancelled are synced.';
    END IF;
    BEGIN
        PERFORM FROM task_sync.work_order_process WHERE work_order_id = p_work_order_id FOR KEY SHARE NOWAIT;
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION USING
            ERRCODE = '40001',
            MESSAGE = format('the route of work order %s is being changed by another transaction', p_work_order_id),
            HINT = 'Retry the sync.';
    END;

    v_rows := ARRAY(SELECT r FROM task_sync._plan_rows(ARRAY[p_work_order_id]) AS r);
    v_hash := task_sync._plan_hash(v_rows);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash <> v_hash THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC02',
            MESSAGE = format('stale plan for work order %s: the plan changed since it was previewed', p_work_order_id),
            DETAIL = format('expected plan_hash %s, current plan_hash %s', p_expected_plan_hash, v_hash),
            HINT = 'Preview again and confirm the new plan.';
    END IF;

    SELECT * INTO v_res
    FROM task_sync._apply(ARRAY[p_work_order_id], v_rows, p_overwrite_edits, p_restore_dismissed, 'execute');
    RETURN jsonb_build_object(
        'work_order_id', v_res.work_order_id,
        'sync_run_id', v_res.sync_run_id,
        'plan_hash', v_res.plan_hash,
        'added', v_res.added,
        'removed', v_res.removed,
        'updated', v_res.updated,
        'conflicts', v_res.conflicts,
        'synced_version', v_res.synced_version);
END
$$;

COMMENT ON FUNCTION task_sync.execute(bigint, boolean, text, boolean, boolean) IS
    'Syncs one work order atomically; refuses a stale plan (TSC02) when given the previewed plan_hash';

CREATE OR REPLACE FUNCTION task_sync.pending(p_limit integer DEFAULT NULL)
RETURNS TABLE (
    work_order_id       bigint,
    order_number        text,
    definition_version  bigint,
    synced_version      bigint,
    pending_since       timestamptz
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;
    RETURN QUERY
        SELECT w.id, w.order_number, w.definition_version, w.synced_version, w.pending_since
        FROM task_sync.work_order w
        WHERE w.definition_version > w.synced_version
          AND task_sync._may_sync(w.status, w.approval_status)
        ORDER BY w.pending_since, w.id
        LIMIT p_limit;
END
$$;

COMMENT ON FUNCTION task_sync.pending(integer) IS 'Work orders that need a sync and may be synced, longest waiting first';

CREATE OR REPLACE FUNCTION task_sync.preview(p_work_order_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_wo    task_sync.work_order := task_sync._work_order(p_work_order_id);
    v_rows  task_sync.plan_row[] := ARRAY(SELECT r FROM task_sync._plan_rows(ARRAY[p_work_order_id]) AS r);
BEGIN
    RETURN jsonb_build_object(
        'work_order_id', v_wo.id,
        'order_number', v_wo.order_number,
        'plan_hash', task_sync._plan_hash(v_rows),
        'definition_version', v_wo.definition_version,
        'synced_version', v_wo.synced_version,
        'sync_needed', v_wo.definition_version > v_wo.synced_version,
        'may_sync', task_sync._may_sync(v_wo.status, v_wo.approval_status),
        'summary', (
            SELECT jsonb_build_object(
                'add', count(*) FILTER (WHERE r.action = 'add'),
                'remove', count(*) FILTER (WHERE r.action = 'remove'),
                'update', count(*) FILTER (WHERE r.action = 'update'),
                'conflict', count(*) FILTER (WHERE r.action = 'conflict'),
                'dismissed', count(*) FILTER (WHERE r.action = 'dismissed'),
                'orphaned', count(*) FILTER (WHERE r.action = 'orphaned'),
                'keep', count(*) FILTER (WHERE r.action = 'keep'))
            FROM unnest(v_rows) AS r),
        'items', (SELECT coalesce(jsonb_agg(i.item ORDER BY i.ord), '[]') FROM task_sync._items(v_rows) AS i));
END
$$;

COMMENT ON FUNCTION task_sync.preview(bigint) IS
    'What a sync of the work order would do, item by item, with its plan_hash; changes nothing';

CREATE OR REPLACE FUNCTION task_sync.sync_pending(p_limit integer DEFAULT NULL)
RETURNS TABLE (
    work_order_id   bigint,
    added           integer,
    removed         integer,
    updated         integer,
    conflicts       integer,
    sync_run_id     bigint
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- Hash joins for the batch: the task rows a chunk writes were often inserted by an earlier chunk
-- of the same transaction, which statistics cannot know about yet; planned as a tiny table, a
-- nested loop over it goes quadratic (measured: 4.6 s instead of 0.3 s for the second chunk of
-- 500 work orders). Every scan is still bounded by work_order_id = ANY (chunk).
SET enable_nestloop = off
-- a plan that still needs a nested loop carries the planner's disable cost (1e10), which would
-- start JIT compilation (~0.7 s per statement measured on PostgreSQL 15 with LLVM): never worth it here
SET jit = off
AS $$
DECLARE
    c_chunk CONSTANT integer := 500;
    v_ids   bigint[];
    v_chunk bigint[];
BEGIN
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;

    -- claim in a statement of its own: LIMIT with SKIP LOCKED inside IN (...) may lock more rows
    v_ids := ARRAY(
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.definition_version > w.synced_version
          AND task_sync._may_sync(w.status, w.approval_status)
        ORDER BY w.pending_since, w.id
        LIMIT p_limit
        FOR NO KEY UPDATE SKIP LOCKED);

    FOR i IN 0 .. (cardinality(v_ids) - 1) / c_chunk LOOP
        v_chunk := v_ids[i * c_chunk + 1 : (i + 1) * c_chunk];
        -- leave out work orders with a route row that another transaction is deleting: it holds
        -- that row and waits for our lock on the work order, so applying here could deadlock
        v_chunk := ARRAY(
            WITH held AS MATERIALIZED (
                SELECT p.id
                FROM task_sync.work_order_process p
                WHERE p.work_order_id = ANY (v_chunk)
                FOR KEY SHARE SKIP LOCKED
            ),
            busy AS (
                SELECT DISTINCT p.work_order_id
                FROM task_sync.work_order_process p
                WHERE p.work_order_id = ANY (v_chunk)
                  AND NOT EXISTS (SELECT FROM held WHERE held.id = p.id)
            )
            SELECT c.id
            FROM unnest(v_chunk) WITH ORDINALITY AS c(id, n)
            WHERE NOT EXISTS (SELECT FROM busy WHERE busy.work_order_id = c.id)
            ORDER BY c.n);
        CONTINUE WHEN cardinality(v_chunk) = 0;
        RETURN QUERY
            SELECT a.work_order_id, a.added, a.removed, a.updated, a.conflicts, a.sync_run_id
            FROM task_sync._apply(
                v_chunk, ARRAY(SELECT r FROM task_sync._plan_rows(v_chunk) AS r), false, false, 'sync_pending') AS a;
    END LOOP;
END
$$;

COMMENT ON FUNCTION task_sync.sync_pending(integer) IS
    'Syncs pending work orders set-based, skipping those other sessions hold; safe from several workers';

CREATE OR REPLACE FUNCTION task_sync.tg_catalog__mark()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids bigint[];
BEGIN
    IF TG_TABLE_NAME <> 'process' AND NOT EXISTS (
        SELECT FROM task_sync.generation_rule r
        WHERE r.source_kind = TG_TABLE_NAME AND strpos(r.content_template, '{source_name}') > 0)
    THEN
        RETURN NULL;
    END IF;
    EXECUTE format(
        'SELECT ARRAY(SELECT DISTINCT l.work_order_id FROM task_sync.%I l '
        'JOIN old_rows o ON o.id = l.%I JOIN new_rows n ON n.id = o.id WHERE %s)',
        'work_order_' || TG_TABLE_NAME, TG_TABLE_NAME || '_id',
        CASE WHEN TG_TABLE_NAME = 'process' THEN '(n.name, n.code) IS DISTINCT FROM (o.name, o.code)'
             ELSE 'n.name IS DISTINCT FROM o.name' END)
    INTO v_ids;
    PERFORM task_sync._mark(v_ids);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_catalog__mark() IS
    'Marks work orders that use a catalog row whose generating values changed (statement-level)';

CREATE OR REPLACE FUNCTION task_sync.tg_generation_rule__mark()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_codes     text[];
    v_default   boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.process_code), bool_or(n.process_code IS NULL)
        INTO v_codes, v_default FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.process_code), bool_or(o.process_code IS NULL)
        INTO v_codes, v_default FROM old_rows o;
    ELSE
        SELECT array_agg(DISTINCT x.process_code), bool_or(x.process_code IS NULL)
        INTO v_codes, v_default
        FROM ((TABLE new_rows EXCEPT ALL TABLE old_rows)
              UNION ALL
              (TABLE old_rows EXCEPT ALL TABLE new_rows)) AS x;
    END IF;
    IF v_codes IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM task_sync._mark(ARRAY(
        SELECT DISTINCT wop.work_order_id
        FROM task_sync.work_order_process wop
        JOIN task_sync.process p ON p.id = wop.process_id
        WHERE p.code = ANY (v_codes)
           OR (v_default AND NOT EXISTS (SELECT FROM task_sync.generation_rule r WHERE r.process_code = p.code))));
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_generation_rule__mark() IS
    'Marks work orders whose processes take the changed rules (statement-level)';

CREATE OR REPLACE FUNCTION task_sync.tg_task__dismiss()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('task_sync.applying', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO task_sync.task_dismissal
        (work_order_id, work_order_process_id, task_type, source_kind, source_id, task_id)
    SELECT o.work_order_id, o.work_order_process_id, o.task_type, o.source_kind, o.source_id, o.id
    FROM old_rows o
    WHERE o.origin = 'generated' AND o.status = 'draft' AND o.work_order_process_id IS NOT NULL
      AND EXISTS (SELECT FROM task_sync.work_order_process p
                  WHERE p.work_order_id = o.work_order_id AND p.id = o.work_order_process_id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync.tg_task__dismiss() IS 'Remembers generated drafts deleted by people (dismissals)';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync FROM PUBLIC;
GRANT EXECUTE ON FUNCTION task_sync._apply(bigint[], task_sync.plan_row[], boolean, boolean, text) TO task_sync_writer;
