-- 0012_error_codes up: Every engine error's message starts with its SQLSTATE.
-- Frozen from the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

CREATE OR REPLACE FUNCTION task_sync_internal._attempt(
    p_work_order_ids bigint[],
    OUT synced task_sync_internal.synced[], OUT busy bigint[],
    OUT failed_state text, OUT failed_message text, OUT failed_detail text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_claim     record;
    v_group     bigint[];
    v_marks     bigint[];
    v_rows      task_sync.plan_row[];
    v_route     bigint[];   -- the route rows the plan adds drafts for
BEGIN
    synced := '{}';
    BEGIN
        -- 2. claim
        v_claim := task_sync_internal._claim(p_work_order_ids);
        busy := v_claim.busy;
        -- 3. the marks first, the plan after
        IF cardinality(busy) = 0 THEN
            SELECT coalesce(array_agg(m.id), '{}'), coalesce(array_agg(DISTINCT m.work_order_id), '{}')
            INTO v_marks, v_group
            FROM task_sync.work_order_mark m
            WHERE m.work_order_id = ANY (v_claim.claimed);
        END IF;
        IF cardinality(busy) = 0 AND cardinality(v_group) > 0 THEN
            -- for a client that asked for DEBUG messages (the worker: which work orders a
            -- statement_timeout cut short)
            RAISE DEBUG USING MESSAGE = 'pytask_sync: syncing work orders', DETAIL = v_group::text;
            SELECT coalesce(array_agg(r), '{}'),
                   coalesce(array_agg(DISTINCT r.work_order_process_id) FILTER (WHERE r.action = 'add'), '{}')
            INTO v_rows, v_route
            FROM task_sync_internal._plan_rows(v_group) AS r;
            IF cardinality(v_route) > 0 THEN
                v_route := task_sync_internal._hold_route(v_group, v_route);
                -- (an anti-join: a test of each row against the array costs rows times route rows)
                busy := ARRAY(SELECT DISTINCT r.work_order_id
                              FROM unnest(v_rows) AS r
                              WHERE r.action = 'add'
                                AND NOT EXISTS (SELECT FROM unnest(v_route) AS h (id) WHERE h.id = r.work_order_process_id));
            END IF;
        END IF;
        IF cardinality(busy) > 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'TSR01: busy work orders';  -- roll back: keep no lock
        END IF;
        -- 4. apply
        IF cardinality(v_group) > 0 THEN
            synced := ARRAY(
                SELECT ROW(a.work_order_id, a.added, a.removed, a.updated, a.conflicts,
                           a.sync_run_id)::task_sync_internal.synced
                FROM task_sync_internal._apply(v_group, v_rows, false, false, 'sync_pending', v_marks) AS a);
        END IF;
    EXCEPTION
        WHEN SQLSTATE 'TSR01' THEN
            NULL;   -- busy says which
        WHEN SQLSTATE '40001' OR SQLSTATE '40P01' OR SQLSTATE '55P03' THEN
            RAISE;  -- the caller's to retry
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS failed_state = RETURNED_SQLSTATE, failed_message = MESSAGE_TEXT,
                                    failed_detail = PG_EXCEPTION_DETAIL;
            IF left(failed_state, 2) IN ('53', '54', '57', '58', 'XX') THEN
                RAISE;  -- resources, or the server itself: not one work order's doing
            END IF;
            synced := '{}';
    END;
END
$$;

COMMENT ON FUNCTION task_sync_internal._attempt(bigint[]) IS
    'One group of sync_pending: claim, plan, apply, kept only when synced; says which were busy or what failed';

CREATE OR REPLACE FUNCTION task_sync_internal._busy(p_work_order_ids bigint[])
RETURNS bigint[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_busy  bigint[] := '{}'::bigint[];
BEGIN
    IF coalesce(cardinality(p_work_order_ids), 0) = 0 OR current_setting('transaction_read_only')::boolean THEN
        RETURN v_busy;
    END IF;
    BEGIN
        v_busy := ARRAY(
            WITH free AS MATERIALIZED (
                SELECT w.id FROM task_sync.work_order w
                WHERE w.id = ANY (p_work_order_ids)
                FOR SHARE SKIP LOCKED
            ),
            drafts AS MATERIALIZED (
                SELECT t.work_order_id, t.id FROM task_sync.task t
                WHERE t.work_order_id = ANY (p_work_order_ids) AND t.origin = 'generated' AND t.status = 'draft'
            ),
            drafts_free AS MATERIALIZED (
                SELECT t.id FROM task_sync.task t
                WHERE t.work_order_id = ANY (p_work_order_ids) AND t.origin = 'generated' AND t.status = 'draft'
                FOR UPDATE SKIP LOCKED
            )
            SELECT i FROM unnest(p_work_order_ids) AS i WHERE NOT EXISTS (SELECT FROM free WHERE free.id = i)
            UNION
            SELECT d.work_order_id FROM drafts d WHERE NOT EXISTS (SELECT FROM drafts_free f WHERE f.id = d.id));
        RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'TSR01: looked';  -- roll back: keep no lock
    EXCEPTION
        WHEN SQLSTATE 'TSR01' THEN
            NULL;
        WHEN SQLSTATE '40001' THEN
            v_busy := '{}';     -- REPEATABLE READ: a row changed since the snapshot; nothing to say
    END;
    RETURN v_busy;
END
$$;

COMMENT ON FUNCTION task_sync_internal._busy(bigint[]) IS
    'Which of these work orders another session holds now (rows locked, never waiting, nothing kept)';

CREATE OR REPLACE FUNCTION task_sync_internal._check_flags(p_overwrite_edits boolean, p_restore_dismissed boolean)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_overwrite_edits IS NULL OR p_restore_dismissed IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = 'TSV01: p_overwrite_edits and p_restore_dismissed must be true or false, not NULL';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._check_flags(boolean, boolean) IS 'Raises TSV01 when a sync flag is NULL';

CREATE OR REPLACE FUNCTION task_sync_internal._check_work_order_id(p_work_order_id bigint)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_work_order_id IS NULL OR p_work_order_id <= 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: invalid work order id: %s', coalesce(p_work_order_id::text, 'NULL')),
            HINT = 'A work order id is a positive bigint.';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._check_work_order_id(bigint) IS 'Raises TSV01 for a null or non-positive work order id';

CREATE OR REPLACE FUNCTION task_sync_internal._require_read_committed(p_what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC05',
            MESSAGE = format('TSC05: %s must run at READ COMMITTED, not %s',
                             p_what, upper(current_setting('transaction_isolation'))),
            DETAIL = 'A snapshot older than the change''s locks could miss work orders it affects.',
            HINT = 'Run it in a transaction of its own: BEGIN ISOLATION LEVEL READ COMMITTED; ...; COMMIT;';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._require_read_committed(text) IS
    'Raises TSC05 unless the transaction is READ COMMITTED (rule and catalog changes)';

CREATE OR REPLACE FUNCTION task_sync_internal._require_writable(p_what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_read_only')::boolean THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC07',
            MESSAGE = format('TSC07: %s writes, and this transaction is read-only%s: run it on the primary', p_what,
                             CASE WHEN pg_is_in_recovery() THEN ' (this server is a hot standby)' ELSE '' END),
            HINT = 'Sync on the primary, in a read-write transaction; preview, plan, plan_pending, pending and '
                   'check_sync_needed also run on a standby (a plan_hash read there confirms an execute on the '
                   'primary once the standby has replayed the changes).';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._require_writable(text) IS
    'Raises TSC07 in a read-only transaction (a hot standby): syncs run on the primary';

CREATE OR REPLACE FUNCTION task_sync_internal._task_insert_ok(p_origin text)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_origin IS DISTINCT FROM 'generated' THEN
        RETURN true;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'TSP01',
        MESSAGE = format('TSP01: column %s of task_sync.%s is the engine''s: a new row takes its default (%s), not %s',
                         'origin', 'task', to_jsonb('manual'::text), to_jsonb(p_origin)),
        DETAIL = 'Only pytask_sync writes the engine''s books (versions, baselines, a generated task''s identity).',
        HINT = format('Leave %s out of the INSERT, or give it DEFAULT.', 'origin');
END
$$;

COMMENT ON FUNCTION task_sync_internal._task_insert_ok(text) IS
    'Row-level security check of a new task: manual only (TSP01), before any index entry is written';

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
                        'generated_work_content, generated_production_quantity, created_at'),
        HINT = 'Write the row''s current value, or leave the column out of the UPDATE.';
END
$$;

COMMENT ON FUNCTION task_sync_internal._task_update_ok(bigint, bigint, text, bigint, text, text, bigint) IS
    'Row-level security check of an updated task: its id and a generated task''s key kept (TSP01), before any index entry';

CREATE OR REPLACE FUNCTION task_sync_internal._work_order(p_work_order_id bigint)
RETURNS task_sync.work_order
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_wo task_sync.work_order;
BEGIN
    PERFORM task_sync_internal._check_work_order_id(p_work_order_id);
    SELECT * INTO v_wo FROM task_sync.work_order WHERE id = p_work_order_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSN01',
            MESSAGE = format('TSN01: work order %s not found', p_work_order_id);
    END IF;
    RETURN v_wo;
END
$$;

COMMENT ON FUNCTION task_sync_internal._work_order(bigint) IS 'The work order row; TSV01 for a bad id, TSN01 when absent';

CREATE OR REPLACE FUNCTION task_sync.create_source_kind(p_kind text, p_lines boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_link  text;
    v_ref   text;
BEGIN
    IF p_lines IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = 'TSV01: invalid argument: p_lines must be true or false',
            HINT = 'Pass false for a link kind (one task per linked catalog row), true for a line kind.';
    END IF;
    IF p_kind IS NULL OR p_kind !~ '^[a-z][a-z0-9_]*$' OR length(p_kind) > 40 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: invalid source kind name: %s', coalesce(quote_literal(p_kind), 'NULL')),
            HINT = 'A kind is a lowercase letter, then lowercase letters, digits or _, 40 characters at most.';
    END IF;
    SELECT n.link_table, n.id_column INTO v_link, v_ref FROM task_sync_internal._kind_tables(p_kind) n;
    PERFORM FROM task_sync.source_kind k WHERE k.kind = p_kind FOR KEY SHARE;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: source kind %s already exists', p_kind),
            HINT = 'SELECT kind FROM task_sync.source_kind lists the kinds.';
    END IF;
    IF to_regclass(format('task_sync.%I', p_kind)) IS NOT NULL
       OR to_regclass(format('task_sync.%I', v_link)) IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: invalid source kind name: %s is taken', p_kind),
            DETAIL = format('task_sync.%I or task_sync.%I already exists.', p_kind, v_link),
            HINT = 'Choose another name.';
    END IF;

    -- a concurrent call for the same name inserts it too: this insert waits for that transaction,
    -- and when it committed the name is taken (the same refusal as above)
    BEGIN
        INSERT INTO task_sync.source_kind (kind, shape) VALUES (p_kind, CASE WHEN p_lines THEN 'line' ELSE 'link' END);
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: source kind %s already exists', p_kind),
            HINT = 'SELECT kind FROM task_sync.source_kind lists the kinds.';
    END;
    EXECUTE format(
        'CREATE TABLE task_sync.%I ('
        ' id bigint GENERATED BY DEFAULT AS IDENTITY, code text NOT NULL, name text NOT NULL,'
        ' CONSTRAINT %I PRIMARY KEY (id), CONSTRAINT %I UNIQUE (code))',
        p_kind, task_sync_internal._ident(p_kind || '_pkey'), task_sync_internal._ident(p_kind || '__code_key'));
    IF p_lines THEN
        EXECUTE format(
            'CREATE TABLE task_sync.%1$I ('
            ' id bigint GENERATED BY DEFAULT AS IDENTITY, work_order_id bigint NOT NULL,'
            ' %2$I bigint NOT NULL, quantity integer NOT NULL DEFAULT 0,'
            ' CONSTRAINT %3$I PRIMARY KEY (work_order_id, id), CONSTRAINT %4$I UNIQUE (id),'
            ' CONSTRAINT %5$I CHECK (id > 0), CONSTRAINT %6$I CHECK (quantity >= 0),'
            ' CONSTRAINT %7$I FOREIGN KEY (work_order_id) REFERENCES task_sync.work_order (id) ON DELETE CASCADE,'
            ' CONSTRAINT %8$I FOREIGN KEY (%2$I) REFERENCES task_sync.%9$I (id) ON DELETE RESTRICT)',
            v_link, v_ref, task_sync_internal._ident(v_link || '_pkey'), task_sync_internal._ident(v_link || '__id_key'),
            task_sync_internal._ident(v_link || '__id_check'), task_sync_internal._ident(v_link || '__quantity_check'),
            task_sync_internal._ident(v_link || '__work_order_id_fkey'), task_sync_internal._ident(v_link || '__' || v_ref || '_fkey'),
            p_kind);
    ELSE
        EXECUTE format(
            'CREATE TABLE task_sync.%1$I ('
            ' work_order_id bigint NOT NULL, %2$I bigint NOT NULL,'
            ' CONSTRAINT %3$I PRIMARY KEY (work_order_id, %2$I),'
            ' CONSTRAINT %4$I FOREIGN KEY (work_order_id) REFERENCES task_sync.work_order (id) ON DELETE CASCADE,'
            ' CONSTRAINT %5$I FOREIGN KEY (%2$I) REFERENCES task_sync.%6$I (id) ON DELETE RESTRICT)',
            v_link, v_ref, task_sync_internal._ident(v_link || '_pkey'), task_sync_internal._ident(v_link || '__work_order_id_fkey'),
            task_sync_internal._ident(v_link || '__' || v_ref || '_fkey'), p_kind);
    END IF;
    -- a catalog row's links, for ON DELETE RESTRICT and for marking after a rename
    EXECUTE format('CREATE INDEX %I ON task_sync.%I (%I)',
                   task_sync_internal._ident(v_link || '__' || v_ref || '_idx'), v_link, v_ref);
    PERFORM task_sync_internal._source_kind_dress(p_kind);
    PERFORM task_sync_internal._source_view_build();
END
$$;

COMMENT ON FUNCTION task_sync.create_source_kind(text, boolean) IS
    'Adds a source kind: create_source_kind(p_kind, p_lines) makes its catalog and its link (p_lines false) or line '
    '(p_lines true) table, marking triggers, grants and comments; rules and tasks accept it at once. Owner only. '
    'TSV01: bad, taken or existing name, or a null flag';

CREATE OR REPLACE FUNCTION task_sync.drop_source_kind(p_kind text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_built_in  boolean;
    v_rules bigint;
    v_tasks bigint;
BEGIN
    SELECT k.built_in INTO v_built_in FROM task_sync.source_kind k WHERE k.kind = p_kind FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: source kind %s does not exist', coalesce(quote_literal(p_kind), 'NULL')),
            HINT = 'SELECT kind FROM task_sync.source_kind lists the kinds.';
    END IF;
    IF v_built_in THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: source kind %s is built in and cannot be dropped', p_kind);
    END IF;
    SELECT count(*) INTO v_rules FROM task_sync.generation_rule r WHERE r.source_kind = p_kind;
    SELECT count(*) INTO v_tasks FROM task_sync.task t WHERE t.source_kind = p_kind;
    IF v_rules + v_tasks > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC06',
            MESSAGE = format('TSC06: source kind %s is in use', p_kind),
            DETAIL = format('%s generation rule(s) and %s task(s) name it.', v_rules, v_tasks),
            HINT = 'Delete its rules and sync, and delete or change its remaining tasks, then drop it.';
    END IF;
    DELETE FROM task_sync.task_dismissal x WHERE x.source_kind = p_kind;
    DELETE FROM task_sync.source_kind k WHERE k.kind = p_kind;
    PERFORM task_sync_internal._source_view_build();
    EXECUTE format('DROP TABLE task_sync.%I, task_sync.%I', (task_sync_internal._kind_tables(p_kind)).link_table, p_kind);
END
$$;

COMMENT ON FUNCTION task_sync.drop_source_kind(text) IS
    'Drops a created source kind and its tables: drop_source_kind(p_kind). Owner only. '
    'TSV01: not a kind or a built-in one; TSC06: a rule or task still uses it';

CREATE OR REPLACE FUNCTION task_sync.execute(
    p_work_order_id bigint,
    p_confirmed boolean DEFAULT false,
    p_expected_plan_hash text DEFAULT NULL,
    p_overwrite_edits boolean DEFAULT false,
    p_restore_dismissed boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- the planner settings and why: docs/scaling.md, "The planner settings of the engine's calls"
SET enable_nestloop = off
SET jit = off
SET plan_cache_mode = force_generic_plan
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v_wo    task_sync.work_order;
    v_rows  task_sync.plan_row[];
    v_hash  text;
    v_marks bigint[];
    v_route bigint[];   -- the route rows the plan adds drafts for
    v_res   record;
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.execute');
    PERFORM task_sync_internal._check_work_order_id(p_work_order_id);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: malformed plan hash: %L', p_expected_plan_hash),
            HINT = 'Pass the plan_hash of task_sync.preview(): 64 lowercase hex digits.';
    END IF;
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
    IF p_confirmed IS NOT TRUE THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC01',
            MESSAGE = format('TSC01: confirmation required to sync work order %s', p_work_order_id),
            HINT = 'Read task_sync.preview(id) first, then call task_sync.execute(id, true, <plan_hash>).';
    END IF;

    PERFORM FROM task_sync.work_order_process WHERE work_order_id = p_work_order_id FOR KEY SHARE;
    SELECT * INTO v_wo FROM task_sync.work_order WHERE id = p_work_order_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSN01',
            MESSAGE = format('TSN01: work order %s not found', p_work_order_id);
    END IF;
    IF NOT task_sync_internal._may_sync(v_wo.status, v_wo.approval_status) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC03',
            MESSAGE = format('TSC03: work order %s may not be synced', p_work_order_id),
            DETAIL = format('status is %s, approval_status is %s', v_wo.status, v_wo.approval_status),
            HINT = 'Only work orders that are not approved, completed or cancelled are synced.';
    END IF;

    -- the marks first, the plan after: the plan sees every change these marks stand for
    v_marks := ARRAY(SELECT m.id FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id);
    SELECT coalesce(array_agg(r), '{}'),
           coalesce(array_agg(DISTINCT r.work_order_process_id) FILTER (WHERE r.action = 'add'), '{}')
    INTO v_rows, v_route
    FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r;
    v_hash := task_sync_internal._plan_hash(v_rows);
    IF p_expected_plan_hash IS NOT NULL AND p_expected_plan_hash <> v_hash THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC02',
            MESSAGE = format('TSC02: stale plan for work order %s: the plan changed since it was previewed', p_work_order_id),
            DETAIL = format('expected plan_hash %s, current plan_hash %s', p_expected_plan_hash, v_hash),
            HINT = 'Preview again (with the same flags) and confirm the new plan.';
    END IF;

    -- the route rows the plan adds drafts for, held from here on: a route row added since the route
    -- was locked above is not held yet, and one deleted since the plan was read is gone (its drafts
    -- would fail their foreign key): the plan is stale, 40001 (retry)
    IF cardinality(v_route) > 0
       AND cardinality(task_sync_internal._hold_route(ARRAY[p_work_order_id], v_route)) <> cardinality(v_route) THEN
        RAISE EXCEPTION USING
            ERRCODE = '40001',
            MESSAGE = format('the route of work order %s changed while its plan was computed', p_work_order_id),
            HINT = 'Retry the sync.';
    END IF;

    SELECT * INTO v_res
    FROM task_sync_internal._apply(ARRAY[p_work_order_id], v_rows, p_overwrite_edits, p_restore_dismissed, 'execute', v_marks,
                          v_hash);
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
    'execute(p_work_order_id, p_confirmed false, p_expected_plan_hash NULL, p_overwrite_edits false, '
    'p_restore_dismissed false) -> jsonb: syncs one work order atomically; with the previewed '
    'plan_hash, a changed plan is refused. TSC07: a read-only transaction (run it on the primary); TSV01: invalid id, malformed hash or a NULL flag; TSC01: '
    'p_confirmed not true; TSN01: work order not found; TSC03: work order may not be synced; TSC02: '
    'stale plan (nothing changed); 40001: the route changed under the sync (retry)';

CREATE OR REPLACE FUNCTION task_sync.pending(p_limit integer DEFAULT NULL)
RETURNS TABLE (
    work_order_id       bigint,
    order_number        text,
    definition_version  bigint,
    synced_version      bigint,
    pending_since       timestamptz,
    last_error          text,
    retry_after         timestamptz,
    reason              text,
    advice              text
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;
    RETURN QUERY
        WITH q AS MATERIALIZED (
            SELECT c.work_order_id, c.order_number, c.synced_version + c.weight AS definition_version,
                   c.synced_version, c.pending_since, f.work_order_id IS NOT NULL AS failed,
                   f.sqlstate || ': ' || f.message AS last_error,
                   f.retry_after, f.reason, f.advice,
                   f.retry_after > clock_timestamp() AND f.definition_version >= c.synced_version + c.weight AS paused
            FROM task_sync_internal._queue() c
            LEFT JOIN task_sync.sync_failure f ON f.work_order_id = c.work_order_id
            WHERE c.may_sync
            ORDER BY c.pending_since, c.work_order_id
            LIMIT p_limit
        ),
        busy AS (
            SELECT unnest(task_sync_internal._busy(ARRAY(
                SELECT q.work_order_id FROM q WHERE NOT coalesce(q.paused, false)
                ORDER BY q.pending_since, q.work_order_id LIMIT 200))) AS work_order_id
        )
        SELECT q.work_order_id, q.order_number, q.definition_version, q.synced_version, q.pending_since,
               q.last_error, q.retry_after,
               CASE WHEN q.paused THEN q.reason
                    WHEN b.work_order_id IS NOT NULL THEN 'busy'
                    WHEN q.failed THEN 'retry'
                    ELSE 'waiting' END,
               CASE WHEN q.paused THEN q.advice
                    WHEN b.work_order_id IS NOT NULL THEN
                        'Another session holds it now (a sync of it, or an open edit of the work order or of one of '
                        'its drafts): sync_pending passes over it; a later call takes it once that transaction ends.'
                    WHEN q.failed THEN
                        'Its last batch sync failed (last_error) and its pause is over: the next sync_pending tries '
                        'it again. ' || q.advice
                    ELSE 'Nothing holds it back: the next sync_pending syncs it (or task_sync.execute(id, true)).' END
        FROM q
        LEFT JOIN busy b ON b.work_order_id = q.work_order_id
        ORDER BY q.pending_since, q.work_order_id;
END
$$;

COMMENT ON FUNCTION task_sync.pending(integer) IS
    'pending(p_limit NULL) -> rows: work orders that need a sync and may be synced, longest waiting '
    'first (at most p_limit; NULL: all), with the error of a failed batch sync, why it waits (reason) and what to '
    'do (advice). TSV01: negative limit';

CREATE OR REPLACE FUNCTION task_sync.prune_history(p_older_than interval)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_batch     CONSTANT integer := 1000;
    v_before    timestamptz;
    v_runs      bigint := 0;
    v_done      integer;
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.prune_history');
    IF p_older_than IS NULL OR p_older_than < interval '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: invalid interval: %s', coalesce(p_older_than::text, 'NULL')),
            HINT = 'Pass how old a sync must be to go, e.g. interval ''90 days''.';
    END IF;
    v_before := now() - p_older_than;
    LOOP
        WITH runs AS MATERIALIZED (
            SELECT s.work_order_id, s.id
            FROM task_sync.sync_run s
            WHERE s.ran_at < v_before
            ORDER BY s.id
            LIMIT c_batch
        ),
        items AS (
            DELETE FROM task_sync.sync_item i
            USING runs r
            WHERE i.work_order_id = r.work_order_id AND i.sync_run_id = r.id
        )
        DELETE FROM task_sync.sync_run s
        USING runs r
        WHERE s.work_order_id = r.work_order_id AND s.id = r.id;
        GET DIAGNOSTICS v_done = ROW_COUNT;
        v_runs := v_runs + v_done;
        EXIT WHEN v_done < c_batch;
    END LOOP;
    RETURN v_runs;
END
$$;

COMMENT ON FUNCTION task_sync.prune_history(interval) IS
    'prune_history(p_older_than) -> bigint: removes the syncs older than p_older_than from the audit '
    '(sync_run and their sync_item rows) in batches, returns how many sync_run rows went. Owner only. '
    'TSV01: null or negative interval; TSC07: a read-only transaction';

CREATE OR REPLACE FUNCTION task_sync.sync_pending(p_limit integer DEFAULT NULL, p_skip bigint[] DEFAULT NULL)
RETURNS TABLE (
    work_order_id   bigint,
    added           integer,
    removed         integer,
    updated         integer,
    conflicts       integer,
    sync_run_id     bigint
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- the planner settings and why: docs/scaling.md, "The planner settings of the engine's calls"
SET enable_nestloop = off
SET jit = off
AS $$
DECLARE
    c_chunk     CONSTANT integer := 500;    -- work orders per chunk, at least
    c_chunks    CONSTANT integer := 40;     -- chunks the backlog is cut into, at most (when larger)
    c_budget    CONSTANT integer := 60;     -- committed subtransactions per call (PostgreSQL caches 64)
    c_ahead     CONSTANT integer := 4;      -- chunks of candidates read at once
    v_used      integer := 0;               -- committed so far
    v_left      integer := p_limit;         -- how many more may be synced (NULL: no limit)
    v_size      integer := c_chunk;         -- work orders per chunk
    v_pass      integer := 0;
    v_seen      bigint[] := coalesce(p_skip, '{}'::bigint[]);  -- tried in this call, or not to be tried
    v_next      record;                     -- candidates, and closed jobs met
    v_queue     bigint[] := '{}'::bigint[]; -- candidates read and not yet tried, longest waiting first
    v_chunk     bigint[];
    v_ranges    integer[];                  -- groups of the chunk still to try: (first, last) index pairs
    v_busy      bigint[] := '{}'::bigint[]; -- found busy in this call: left out of every group
    v_first     integer;
    v_last      integer;
    v_group     bigint[];
    v_try       record;                     -- what an attempt did
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.sync_pending');
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;
    -- the chunks' size: a fortieth of a large backlog (counted only for a call that may sync more
    -- than a chunk)
    IF p_limit IS NULL OR p_limit > c_chunk THEN
        v_size := greatest(c_chunk, ceil(least(
            (SELECT count(*) FROM task_sync_internal._queue() c WHERE c.may_sync),
            coalesce(p_limit, 2147483647))::numeric / c_chunks)::integer);
    END IF;
    -- the marks of the work orders the caller passes over (the worker's too big ones, which keep
    -- changing while they wait) are folded into one each, so that they do not pile up
    IF cardinality(p_skip) > 0 THEN
        PERFORM task_sync_internal._fold_marks(p_skip);
    END IF;
    -- the first pass always runs: sync_pending(0) parks the closed jobs' marks and syncs nothing
    WHILE (v_pass = 0 OR v_left IS NULL OR v_left > 0) AND v_used < c_budget LOOP
        v_pass := v_pass + 1;
        -- 1. candidates, read for a few chunks at once (each read scans the oldest marks); one
        -- that another session synced meanwhile has no mark left when claimed, and is passed over
        IF cardinality(v_queue) = 0 THEN
            v_next := task_sync_internal._candidates(least(c_ahead * v_size, coalesce(v_left, c_ahead * v_size)),
                                                     v_seen);
            IF cardinality(v_next.closed) > 0 THEN
                PERFORM task_sync_internal._park_marks(v_next.closed);
            END IF;
            v_queue := v_next.try;
            v_seen := v_seen || v_next.try;
        END IF;
        EXIT WHEN cardinality(v_queue) = 0;
        v_chunk := v_queue[1:least(v_size, coalesce(v_left, v_size))];
        v_queue := v_queue[cardinality(v_chunk) + 1:];
        -- 2 to 4, a group at a time, the whole chunk first
        v_ranges := ARRAY[1, cardinality(v_chunk)];
        WHILE cardinality(v_ranges) > 0 AND v_used < c_budget LOOP
            v_first := v_ranges[1];
            v_last := v_ranges[2];
            v_ranges := v_ranges[3:];
            v_group := ARRAY(SELECT g FROM unnest(v_chunk[v_first:v_last]) AS g WHERE g <> ALL (v_busy));
            CONTINUE WHEN cardinality(v_group) = 0;
            v_try := task_sync_internal._attempt(v_group);
            IF cardinality(v_try.busy) > 0 THEN
                -- the same group again, without the busy ones
                v_busy := v_busy || v_try.busy;
                v_ranges := ARRAY[v_first, v_last] || v_ranges;
            ELSIF v_try.failed_state IS NULL THEN
                RETURN QUERY SELECT * FROM unnest(v_try.synced);
                v_left := v_left - cardinality(v_try.synced);
                v_used := v_used + 1;
            ELSIF cardinality(v_group) > 1 THEN
                -- again in halves, down to the one that fails
                v_ranges := ARRAY[v_first, (v_first + v_last) / 2, (v_first + v_last) / 2 + 1, v_last] || v_ranges;
            ELSE
                PERFORM task_sync_internal._record_failure(v_group[1], v_try.failed_state, v_try.failed_message,
                                                           v_try.failed_detail);
            END IF;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION task_sync.sync_pending(integer, bigint[]) IS
    'sync_pending(p_limit NULL, p_skip NULL) -> rows: syncs pending work orders set-based (at most p_limit; '
    'NULL: all; never those in p_skip), never waiting: what another session holds stays pending, a work '
    'order whose sync fails is recorded in sync_failure and the others are synced. TSC07: a read-only '
    'transaction (run it on the primary); TSV01: negative limit';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_any__guard_columns()
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
    -- the rows are compared as jsonb, whose strings hold at most 268435455 bytes (256 MB): a larger
    -- value of a guarded table is refused with the limit named, not jsonb's own error
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
                    MESSAGE = format('TSP01: column %s of task_sync.%s is the engine''s: a new row takes its default (%s), not %s',
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
            MESSAGE = format('TSP01: column %s of task_sync.%s is the engine''s: an UPDATE may give it only its current value',
                             coalesce(v_column, array_to_string(TG_ARGV, ', ')), TG_TABLE_NAME),
            DETAIL = format('These columns of task_sync.%s keep their values: %s.', TG_TABLE_NAME, array_to_string(TG_ARGV, ', ')),
            HINT = 'Write the row''s current value, or leave the column out of the UPDATE.';
    EXCEPTION WHEN program_limit_exceeded THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('TSV01: a value written to task_sync.%s is too large: the engine''s column guard compares rows '
                             'as jsonb, whose strings hold at most 268435455 bytes (256 MB)', TG_TABLE_NAME),
            DETAIL = SQLERRM,
            HINT = 'Keep each text value of the engine''s tables under 256 MB.';
    END;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_any__guard_columns() IS
    'Refuses a writer''s value for an engine-owned column (TSP01): defaults on INSERT, current values on UPDATE';

CREATE OR REPLACE FUNCTION task_sync_internal.tg_task__guard_id()
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
            MESSAGE = format('TSP01: column id of task_sync.task is the engine''s: a new task takes its id from the sequence, not %s',
                             NEW.id),
            DETAIL = 'An id chosen by hand could be the next one the sequence gives a sync, which would then fail.',
            HINT = 'Leave id out of the INSERT (or give it DEFAULT); RETURNING id tells the id it got.';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_task__guard_id() IS
    'Refuses a hand-chosen id for a new task (TSP01): ids come from the sequence, so they never collide with a sync''s';

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
            MESSAGE = format('TSC04: process %s of work order %s still has %s formal task(s)',
                             OLD.id, OLD.work_order_id, v_count),
            DETAIL = 'A task is formal in every status but draft: pending, in_progress, completed and cancelled.',
            HINT = 'Delete those tasks first, or keep the process; pytask_sync never removes formal tasks.';
    END IF;
    RETURN OLD;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order_process__guard_formal() IS
    'Refuses deleting a route process that still has formal tasks (TSC04), waiting for tasks being changed';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;

