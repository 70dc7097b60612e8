-- 0008_fleet up: no one work order, writer or closed job can stall, fail or slow the fleet.
--   * sync_pending: a work order whose sync fails is isolated (the chunk is tried again in halves),
--     recorded in task_sync.sync_failure (pending() shows the error) and passed over for a pause
--     that doubles; the others are synced. It claims drafts FOR UPDATE SKIP LOCKED, so a session
--     whose foreign key check holds a draft makes that work order busy instead of making it wait;
--     it commits at most 60 subtransactions per call (PostgreSQL caches 64); p_skip names work
--     orders not to try (the worker's, whose sync outlasts statement_timeout), and it says which
--     work orders it syncs in a DEBUG message. Its steps are helpers: _queue (also pending()'s),
--     _claim, _hold_route (also execute's), _record_failure, _park_marks.
--   * Marks of work orders that may not be synced are parked, one row per work order
--     (work_order_mark_parked); reopening brings them back as one mark of their weight
--     (work_order_mark.weight). definition_version counts them.
--   * A dismissal no longer has a foreign key to the work order (its KEY SHARE deadlocked an edit
--     that waited for the work order row); work_order__forget_books deletes the marks, parked
--     marks, dismissals and failures of a deleted work order.
--   * execute and sync_pending refuse a read-only transaction (a hot standby) with TSC07, which
--     says to run them on the primary.
--   * One work order's calls read no catalog in full: the desired set reads sources through
--     _sources(work orders), built from the registry beside the view, which reads only the catalog
--     rows the work orders' links and lines name (the view's join, with nested loops off, hashed
--     every catalog in full); execute, preview and plan start no parallel workers.
--   * Marking announces only work orders that were not pending (NOTIFY at commit serializes the
--     committing transactions that notify).
-- Frozen copy of the canonical sql/ as it was when this revision was made.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

ALTER TABLE task_sync.work_order_mark
    ADD COLUMN weight integer NOT NULL DEFAULT 1,
    ADD CONSTRAINT work_order_mark__weight_check CHECK (weight > 0);
-- the oldest marks first: sync_pending finds what waits longest in them, however many marks a storm
-- of rule changes left behind
CREATE INDEX work_order_mark__marked_at_id_idx ON task_sync.work_order_mark (marked_at, id);

-- The marks of work orders that may not be synced (approved, completed, cancelled), folded into
-- one row per work order so that they neither pile up nor slow the search for work to do:
-- sync_pending moves them here (holding the work order row), and reopening the work order moves
-- them back as one mark. definition_version counts them as the marks they were.
CREATE TABLE task_sync.work_order_mark_parked (
    work_order_id   bigint NOT NULL,
    weight          bigint NOT NULL,
    since           timestamptz NOT NULL,
    CONSTRAINT work_order_mark_parked_pkey PRIMARY KEY (work_order_id),
    CONSTRAINT work_order_mark_parked__weight_check CHECK (weight > 0)
);
COMMENT ON TABLE task_sync.work_order_mark_parked IS
    'Marks of work orders that may not be synced, folded into one row each (engine only)';

-- A work order whose sync failed inside sync_pending (an application's foreign key to a draft it
-- must remove, a trigger of one's own, ...): it stays pending, and sync_pending passes over it
-- until retry_after, or sooner when its inputs change again (its definition_version grows past
-- the one that failed). A sync of it deletes the row.
CREATE TABLE task_sync.sync_failure (
    work_order_id   bigint NOT NULL,
    failed_at       timestamptz NOT NULL,
    sqlstate        text NOT NULL,
    message         text NOT NULL,
    detail          text,
    failures        integer NOT NULL,
    retry_after     timestamptz NOT NULL,
    definition_version bigint NOT NULL,
    CONSTRAINT sync_failure_pkey PRIMARY KEY (work_order_id)
);
COMMENT ON TABLE task_sync.sync_failure IS
    'Work orders whose last sync by sync_pending failed, with the error; retried after retry_after (engine only)';

ALTER TABLE task_sync.task_dismissal DROP CONSTRAINT task_dismissal__work_order_id_fkey;

DROP TRIGGER work_order__forget_marks ON task_sync.work_order;
DROP FUNCTION task_sync_internal.tg_work_order__forget_marks();
-- task_sync_internal.tg_work_order__forget_books() -> trigger
-- Statement-level AFTER DELETE trigger of work_order (transition table old_rows): deletes the
-- marks (parked ones too), the dismissals and the failed syncs of deleted work orders. None of
-- these tables has a foreign key to work_order: its check would lock the work order row (KEY
-- SHARE) from inside the statements that write them (marking by rule and catalog changes; a
-- planner's DELETE of a draft, which then deadlocked with an edit of another draft that waited
-- for the work order row), so they go with it here.
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books on behalf
-- of people's statements; a trigger function cannot be called directly, and it reads only the
-- statement's own transition tables.
-- Locks:   the rows it deletes.
-- Raises:  nothing.
-- Writes:  work_order_mark, work_order_mark_parked, task_dismissal, sync_failure.

CREATE FUNCTION task_sync_internal.tg_work_order__forget_books()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM task_sync.work_order_mark m
    USING old_rows o
    WHERE m.work_order_id = o.id;
    DELETE FROM task_sync.work_order_mark_parked p
    USING old_rows o
    WHERE p.work_order_id = o.id;
    DELETE FROM task_sync.task_dismissal x
    USING old_rows o
    WHERE x.work_order_id = o.id;
    DELETE FROM task_sync.sync_failure f
    USING old_rows o
    WHERE f.work_order_id = o.id;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order__forget_books() IS
    'Deletes the marks, dismissals and failed syncs of deleted work orders (statement-level)';

CREATE TRIGGER work_order__forget_books AFTER DELETE ON task_sync.work_order
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_sync_internal.tg_work_order__forget_books();

-- task_sync_internal._queue()
--   -> setof (work_order_id, order_number, synced_version, weight, pending_since, may_sync)
-- The work orders with marks (weight: how many changes the marks stand for; pending_since: the
-- oldest mark), and whether each may be synced (not approved, completed or cancelled). The one
-- source of pending() and sync_pending: those that may be synced are the ones that wait, each
-- caller orders them by (pending_since, work_order_id), the one waiting longest first; the others
-- are the closed jobs whose marks sync_pending parks (so this reads few of them).
-- A standard SQL body without a SET clause: bound when created, and inlined into its callers'
-- queries (their LIMIT and ORDER BY reach the aggregate).
-- Locks:   none (plain reads).
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._queue()
RETURNS TABLE (
    work_order_id   bigint,
    order_number    text,
    synced_version  bigint,
    weight          bigint,
    pending_since   timestamptz,
    may_sync        boolean
)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT w.id, w.order_number, w.synced_version, m.weight, m.since,
           task_sync_internal._may_sync(w.status, w.approval_status)
    FROM (SELECT x.work_order_id, sum(x.weight) AS weight, min(x.marked_at) AS since
          FROM task_sync.work_order_mark x
          GROUP BY x.work_order_id) m
    JOIN task_sync.work_order w ON w.id = m.work_order_id;
END;

COMMENT ON FUNCTION task_sync_internal._queue() IS
    'The work orders with marks, and whether each may be synced (the source of pending and sync_pending)';

-- task_sync_internal._claim(p_work_order_ids bigint[]) -> (claimed bigint[], busy bigint[])
-- Claims these work orders for a batch sync, never waiting: locks, all SKIP LOCKED, the rows of
-- those that still need a sync and may be synced FOR NO KEY UPDATE (two syncs of one work order
-- run one after the other), their route rows FOR KEY SHARE (a route row being deleted is not
-- waited for) and their generated drafts FOR UPDATE (a draft a planner holds, or that an
-- application's row points at with a foreign key check under way, is not waited for, and none can
-- point at a draft the sync removes before it commits). claimed: the work orders whose rows it
-- locked; busy: those of them with a route row or draft it could not lock. The caller rolls back
-- (a subtransaction) when any is busy, so that no lock of a busy work order is kept, and claims
-- the free ones again. The one place a batch's claim is written (sync_pending).
-- Locks:   as above, in that order.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._claim(p_work_order_ids bigint[], OUT claimed bigint[], OUT busy bigint[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    claimed := ARRAY(
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
          AND task_sync_internal._may_sync(w.status, w.approval_status)
          AND EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id)
        ORDER BY w.id
        FOR NO KEY UPDATE SKIP LOCKED);
    busy := ARRAY(
        WITH route AS MATERIALIZED (
            SELECT p.work_order_id, p.id
            FROM task_sync.work_order_process p
            WHERE p.work_order_id = ANY (claimed)
        ),
        route_held AS MATERIALIZED (
            SELECT p.id
            FROM task_sync.work_order_process p
            WHERE p.work_order_id = ANY (claimed)
            FOR KEY SHARE SKIP LOCKED
        ),
        drafts AS MATERIALIZED (
            SELECT t.work_order_id, t.id
            FROM task_sync.task t
            WHERE t.work_order_id = ANY (claimed) AND t.origin = 'generated' AND t.status = 'draft'
        ),
        drafts_held AS MATERIALIZED (
            SELECT t.id
            FROM task_sync.task t
            WHERE t.work_order_id = ANY (claimed) AND t.origin = 'generated' AND t.status = 'draft'
            FOR UPDATE SKIP LOCKED
        )
        SELECT r.work_order_id FROM route r WHERE NOT EXISTS (SELECT FROM route_held h WHERE h.id = r.id)
        UNION
        SELECT d.work_order_id FROM drafts d WHERE NOT EXISTS (SELECT FROM drafts_held h WHERE h.id = d.id));
END
$$;

COMMENT ON FUNCTION task_sync_internal._claim(bigint[]) IS
    'Claims work orders for a batch sync without waiting: the ones locked, and those of them busy';

-- task_sync_internal._hold_route(p_work_order_ids bigint[], p_route_ids bigint[]) -> bigint[]
-- Locks, FOR KEY SHARE SKIP LOCKED, the route rows p_route_ids of these work orders (the rows a
-- plan adds drafts for) and returns the ids of those it holds now. A route row added after the
-- sync locked the route is not held until then, and one deleted since the plan was read is gone
-- (its drafts would fail their foreign key); one that another session holds or deleted is missing
-- from the result. The one place execute (which then reports 40001, retry) and sync_pending (which
-- leaves that work order pending) hold the rows their plans add drafts for.
-- Locks:   those route rows FOR KEY SHARE (SKIP LOCKED: never waits).
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._hold_route(p_work_order_ids bigint[], p_route_ids bigint[])
RETURNS bigint[]
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(h.id), '{}')
    FROM (SELECT p.id
          FROM task_sync.work_order_process p
          WHERE p.work_order_id = ANY (p_work_order_ids) AND p.id = ANY (p_route_ids)
          FOR KEY SHARE SKIP LOCKED) AS h
$$;

COMMENT ON FUNCTION task_sync_internal._hold_route(bigint[], bigint[]) IS
    'Locks the route rows a plan adds drafts for (SKIP LOCKED) and returns those it holds';

-- task_sync_internal._record_failure(p_work_order_id bigint, p_sqlstate text, p_message text,
--                                    p_detail text) -> void
-- Records that sync_pending could not sync this work order (sync_failure): the error, when, how
-- many times in a row, and until when sync_pending passes over it: a pause that doubles with each
-- failure, from one minute up to an hour; a change of its inputs (a definition_version past the
-- one recorded) ends the pause at once. The work order stays pending; pending() shows the error.
-- Locks:   its sync_failure row.
-- Raises:  nothing.
-- Writes:  sync_failure.

CREATE FUNCTION task_sync_internal._record_failure(
    p_work_order_id bigint, p_sqlstate text, p_message text, p_detail text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO task_sync.sync_failure AS f (
        work_order_id, failed_at, sqlstate, message, detail, failures, retry_after, definition_version)
    SELECT w.id, clock_timestamp(), p_sqlstate, p_message, p_detail, 1, clock_timestamp() + interval '1 minute',
           w.synced_version + coalesce((SELECT sum(m.weight) FROM task_sync.work_order_mark m
                                        WHERE m.work_order_id = w.id), 0)
    FROM task_sync.work_order w
    WHERE w.id = p_work_order_id
    ON CONFLICT (work_order_id) DO UPDATE SET
        failed_at = excluded.failed_at,
        sqlstate = excluded.sqlstate,
        message = excluded.message,
        detail = excluded.detail,
        failures = f.failures + 1,
        retry_after = excluded.failed_at + least(interval '1 hour', interval '1 minute' * 2 ^ least(f.failures, 6)),
        definition_version = excluded.definition_version;
$$;

COMMENT ON FUNCTION task_sync_internal._record_failure(bigint, text, text, text) IS
    'Records a failed batch sync of a work order (sync_failure) and how long sync_pending passes over it';

-- task_sync_internal._failure_pause(p_work_order_id bigint, p_synced_version bigint) -> boolean
-- True while sync_pending passes over a work order whose last batch sync failed (sync_failure):
-- until its retry_after, and only while its inputs did not change since (its definition_version,
-- synced_version plus the weight of its marks, is not past the one that failed). False at once for
-- a work order that never failed (one index probe).
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._failure_pause(p_work_order_id bigint, p_synced_version bigint)
RETURNS boolean
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (
        SELECT FROM task_sync.sync_failure f
        WHERE f.work_order_id = p_work_order_id AND f.retry_after > clock_timestamp()
          AND f.definition_version >= p_synced_version
              + coalesce((SELECT sum(m.weight) FROM task_sync.work_order_mark m
                          WHERE m.work_order_id = p_work_order_id), 0));
END;

COMMENT ON FUNCTION task_sync_internal._failure_pause(bigint, bigint) IS
    'True while sync_pending passes over a work order whose last batch sync failed';

-- task_sync_internal._park_marks(p_work_order_ids bigint[]) -> integer
-- Moves the marks of work orders that may not be synced (approved, completed, cancelled) out of
-- work_order_mark into work_order_mark_parked, one row per work order with their weight and the
-- time of the oldest, so that rule and catalog changes that mark thousands of closed jobs neither
-- pile up marks nor slow the search for work to do (_queue). Reopening the work order brings
-- them back as one mark (tg_work_order__mark); until then definition_version counts them. Of the
-- work orders p_work_order_ids (sync_pending finds them as it reads what waits), those that may not
-- be synced now are held (their rows locked SKIP LOCKED, FOR NO KEY UPDATE) so that a reopening
-- waits for the move; only marks committed before it are moved, one inserted meanwhile stays for
-- the next call. Returns how many work orders it parked marks of.
-- Locks:   those work order rows FOR NO KEY UPDATE (SKIP LOCKED), then updates them (a new
--          version, same values), the marks it moves.
-- Raises:  nothing.
-- Writes:  work_order_mark, work_order_mark_parked, work_order (a new version of the rows, same values).

CREATE FUNCTION task_sync_internal._park_marks(p_work_order_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_closed    bigint[];
    v_parked    integer;
BEGIN
    v_closed := ARRAY(
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
          AND NOT task_sync_internal._may_sync(w.status, w.approval_status)
        ORDER BY w.id
        FOR NO KEY UPDATE SKIP LOCKED);
    IF cardinality(v_closed) = 0 THEN
        RETURN 0;
    END IF;
    -- a new version of each row, not only a lock: a reopening that waited for this transaction
    -- then re-reads the row (READ COMMITTED), or fails with a serialization error to be retried
    -- (REPEATABLE READ, SERIALIZABLE), so that it always sees the marks parked here and brings
    -- them back; with a mere lock, a reopening at REPEATABLE READ missed them and the work order
    -- was open with its changes parked, pending nowhere
    UPDATE task_sync.work_order w SET synced_version = w.synced_version WHERE w.id = ANY (v_closed);
    WITH taken AS (
        DELETE FROM task_sync.work_order_mark m
        WHERE m.work_order_id = ANY (v_closed)
        RETURNING m.work_order_id, m.weight, m.marked_at
    )
    INSERT INTO task_sync.work_order_mark_parked AS p (work_order_id, weight, since)
    SELECT t.work_order_id, sum(t.weight), min(t.marked_at)
    FROM taken t
    GROUP BY t.work_order_id
    ON CONFLICT (work_order_id) DO UPDATE
        SET weight = p.weight + excluded.weight, since = least(p.since, excluded.since);
    GET DIAGNOSTICS v_parked = ROW_COUNT;
    RETURN v_parked;
END
$$;

COMMENT ON FUNCTION task_sync_internal._park_marks(bigint[]) IS
    'Parks the marks of these work orders that may not be synced, one row per work order (sync_pending calls it)';

-- task_sync_internal._require_writable(p_what text) -> void
-- Refuses to start a sync in a read-only transaction: on a hot standby (every transaction there
-- is read-only) or after SET TRANSACTION READ ONLY / default_transaction_read_only. Without it the
-- first lock a sync takes fails with PostgreSQL's 25006, which does not say where to go instead.
-- The read-only functions (preview, plan, plan_pending, pending, check_sync_needed) run anywhere.
-- Locks:   none.
-- Raises:  TSC07 the transaction is read-only.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._require_writable(p_what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_read_only')::boolean THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSC07',
            MESSAGE = format('%s writes, and this transaction is read-only%s: run it on the primary', p_what,
                             CASE WHEN pg_is_in_recovery() THEN ' (this server is a hot standby)' ELSE '' END),
            HINT = 'Sync on the primary, in a read-write transaction; preview, plan, plan_pending, pending and '
                   'check_sync_needed also run on a standby (a plan_hash read there confirms an execute on the '
                   'primary once the standby has replayed the changes).';
    END IF;
END
$$;

COMMENT ON FUNCTION task_sync_internal._require_writable(text) IS
    'Raises TSC07 in a read-only transaction (a hot standby): syncs run on the primary';

-- task_sync_internal._mark(p_work_order_ids bigint[]) -> integer
-- Records that these work orders need a sync: inserts one mark per work order and transaction
-- (work_order_mark; a second mark in the same transaction is folded into the first). A work order
-- that was not pending before (no mark this transaction can see) is announced with NOTIFY
-- task_sync and its id, delivered at commit; one that already waits for a sync is not announced
-- again: a transaction that NOTIFYs takes a lock at commit that every other notifying transaction
-- of the database waits for, so a NOTIFY for every edit would make edits of different work orders
-- commit one at a time (the worker polls as well, see pytask_sync.worker). At READ COMMITTED
-- "pending before" is read with a snapshot taken after this transaction has its id: so if a sync
-- takes the mark seen and not this one, this transaction was in progress when that sync committed,
-- which is what the worker watches for (it looks again when such a transaction ends). At REPEATABLE
-- READ and SERIALIZABLE the snapshot can be older than the id, so every first mark of the
-- transaction is announced. Ids of work orders that do not exist (or that this transaction
-- deleted) are ignored. Returns how many work orders it marked for the first time in this
-- transaction.
-- Locks:   none beyond the inserted marks: the work order row is not touched, so marking adds no
--          lock dependency to the edit that fires it (a sync of the same work order runs on).
-- Raises:  nothing.
-- Writes:  work_order_mark.

CREATE OR REPLACE FUNCTION task_sync_internal._mark(p_work_order_ids bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count     integer;
    v_first     bigint[];   -- marked and not pending before: announced
BEGIN
    IF coalesce(cardinality(p_work_order_ids), 0) = 0 THEN
        RETURN 0;
    END IF;
    PERFORM pg_current_xact_id();  -- the id first, then the snapshot that reads the marks
    WITH added AS (
        INSERT INTO task_sync.work_order_mark (work_order_id)
        SELECT w.id
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
        ORDER BY w.id
        ON CONFLICT (work_order_id, xact) DO NOTHING
        RETURNING work_order_id
    )
    -- the marks this statement inserted are not visible here: an earlier one means "pending already"
    SELECT count(*), coalesce(array_agg(a.work_order_id ORDER BY a.work_order_id) FILTER (
               WHERE current_setting('transaction_isolation') <> 'read committed'
                  OR NOT EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = a.work_order_id)),
               '{}'::bigint[])
    INTO v_count, v_first
    FROM added a;
    PERFORM pg_notify('task_sync', f::text) FROM unnest(v_first) AS f;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync_internal._mark(bigint[]) IS
    'Marks these work orders as needing a sync (one mark per transaction); notifies task_sync of those not pending before';

-- task_sync_internal.tg_work_order__mark() -> trigger
-- Statement-level AFTER UPDATE trigger of work_order: marks the work orders whose generating
-- columns (order_number, production_quantity) changed. Status, approval and the engine's own
-- version columns do not mark, with one exception: a work order that may be synced again
-- (reopened: no longer approved, completed or cancelled) gets its parked marks back
-- (work_order_mark_parked, see sync_pending) as one mark of their weight, so that it is pending
-- for the changes made while it was closed, and is announced with NOTIFY task_sync.
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books on behalf
-- of people's statements; a trigger function cannot be called directly, and it reads only the
-- statement's own transition tables.
-- Locks:   the parked marks it moves (the work order rows are already held by the UPDATE).
-- Raises:  nothing.
-- Writes:  work_order_mark (through _mark, and the parked marks moved back), work_order_mark_parked.

CREATE OR REPLACE FUNCTION task_sync_internal.tg_work_order__mark()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SECURITY DEFINER
AS $$
DECLARE
    v_moved bigint[];   -- reopened work orders whose parked marks came back: announced
BEGIN
    PERFORM task_sync_internal._mark(ARRAY(
        SELECT n.id
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE (n.order_number, n.production_quantity) IS DISTINCT FROM (o.order_number, o.production_quantity)));
    WITH reopened AS (
        SELECT n.id
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        WHERE task_sync_internal._may_sync(n.status, n.approval_status)
          AND NOT task_sync_internal._may_sync(o.status, o.approval_status)
    ),
    unparked AS (
        DELETE FROM task_sync.work_order_mark_parked p
        USING reopened r
        WHERE p.work_order_id = r.id
        RETURNING p.work_order_id, p.weight, p.since
    ),
    moved AS (
        INSERT INTO task_sync.work_order_mark AS m (work_order_id, weight, marked_at)
        SELECT u.work_order_id, least(u.weight, 2147483647)::integer, u.since FROM unparked u
        ORDER BY u.work_order_id
        ON CONFLICT (work_order_id, xact) DO UPDATE
            SET weight = m.weight + excluded.weight, marked_at = least(m.marked_at, excluded.marked_at)
        RETURNING m.work_order_id
    )
    SELECT coalesce(array_agg(moved.work_order_id), '{}'::bigint[]) INTO v_moved FROM moved;
    PERFORM pg_notify('task_sync', r::text) FROM unnest(v_moved) AS r;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_work_order__mark() IS
    'Marks work orders whose order_number or production_quantity changed; a reopened one gets its parked marks back (statement-level)';

-- task_sync.check_sync_needed(p_work_order_id bigint) -> boolean
-- True when an input of the work order changed since its last sync: it has a mark
-- (definition_version > synced_version). Three primary-key lookups (marks waiting, parked or not); the plan is not computed.
-- Locks:   none.
-- Raises:  TSV01 invalid id; TSN01 work order not found.
-- Writes:  nothing.

CREATE OR REPLACE FUNCTION task_sync.check_sync_needed(p_work_order_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM task_sync_internal._work_order(p_work_order_id);
    RETURN EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id)
        OR EXISTS (SELECT FROM task_sync.work_order_mark_parked p WHERE p.work_order_id = p_work_order_id);
END
$$;

COMMENT ON FUNCTION task_sync.check_sync_needed(bigint) IS
    'check_sync_needed(p_work_order_id) -> boolean: true when the work order''s inputs changed since '
    'its last sync. TSV01: invalid id; TSN01: work order not found';

-- task_sync.preview(p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false,
--                   p_restore_dismissed boolean DEFAULT false) -> jsonb
-- What execute with the same flags would do to this work order now, item by item, without
-- changing anything:
-- {work_order_id, order_number, plan_hash, definition_version, synced_version, sync_needed,
--  may_sync, overwrite_edits, restore_dismissed,
--  summary: {add, remove, update, conflict, dismissed, orphaned, keep}, items: [...]}.
-- Each item is a task_sync.plan_row as jsonb: action, task_id (null for add), the generation key,
-- process_code, and the current, baseline and desired values of work_content and
-- production_quantity, edited, update_fields, conflict_fields, restored, overwritten. With
-- p_restore_dismissed a dismissed draft is an add (restored: true); with p_overwrite_edits a
-- conflict is an update (overwritten: true, conflict_fields naming the planner's values it
-- overwrites). The summary's add, remove, update and conflict are the added, removed, updated
-- and conflicts execute with the same flags returns. Pass plan_hash to execute (with the same
-- flags) to apply exactly this plan.
-- Locks:   none (plain reads; safe on a standby).
-- Raises:  TSV01 invalid id or a NULL flag; TSN01 work order not found.
-- Writes:  nothing.

CREATE OR REPLACE FUNCTION task_sync.preview(
    p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- see execute: hash joins, generic plans from the first call, no parallel workers
SET enable_nestloop = off
SET jit = off
SET plan_cache_mode = force_generic_plan
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v_wo    task_sync.work_order := task_sync_internal._work_order(p_work_order_id);
    v_marks bigint;
    v_rows  task_sync.plan_row[];
BEGIN
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
    -- the changes the marks stand for, parked ones included (a closed work order's)
    v_marks := coalesce((SELECT sum(m.weight) FROM task_sync.work_order_mark m WHERE m.work_order_id = p_work_order_id), 0)
             + coalesce((SELECT p.weight FROM task_sync.work_order_mark_parked p WHERE p.work_order_id = p_work_order_id), 0);
    v_rows := ARRAY(SELECT r FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r);
    RETURN jsonb_build_object(
        'work_order_id', v_wo.id,
        'order_number', v_wo.order_number,
        'plan_hash', task_sync_internal._plan_hash(v_rows),
        'definition_version', v_wo.synced_version + v_marks,
        'synced_version', v_wo.synced_version,
        'sync_needed', v_marks > 0,
        'may_sync', task_sync_internal._may_sync(v_wo.status, v_wo.approval_status),
        'overwrite_edits', p_overwrite_edits,
        'restore_dismissed', p_restore_dismissed,
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
        'items', (SELECT coalesce(jsonb_agg(to_jsonb(i.r) ORDER BY i.ord), '[]') FROM task_sync_internal._items(v_rows) AS i));
END
$$;

COMMENT ON FUNCTION task_sync.preview(bigint, boolean, boolean) IS
    'preview(p_work_order_id, p_overwrite_edits false, p_restore_dismissed false) -> jsonb: what '
    'execute with the same flags would do to the work order, item by item, with its plan_hash; '
    'changes nothing. TSV01: invalid id or a NULL flag; TSN01: work order not found';

-- task_sync_internal._apply(p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
--                  p_restore_dismissed boolean, p_via text, p_marks bigint[], p_plan_hash text DEFAULT NULL)
--   -> setof (work_order_id, sync_run_id, plan_hash, added, removed, updated, conflicts, synced_version)
-- Applies a plan computed by _plan_rows for these work orders (with the same flags), all in one
-- statement: deletes the drafts to remove, inserts the drafts to add (restored ones included), writes
-- updated fields and moves baselines, forgets dismissals whose key is no longer desired (or that
-- were restored), takes in the marks p_marks (the ones the caller read before it computed the
-- plan: deleted, and synced_version raised by their weight, so a mark committed after the plan
-- was read stays and the work order stays pending), and writes one sync_run per work order where
-- anything changed. p_plan_hash, given for a single work order, is the hash of p_rows its caller
-- already computed (execute checks it); otherwise each work order's hash is computed here.
-- Writes touch drafts of origin generated only, and each write re-checks the row as it is now,
-- so a planner's edit that lands while the sync runs is kept (three-way against the current row)
-- and a task that became formal is left alone.
-- The caller holds the work order rows locked (FOR NO KEY UPDATE) and their route rows
-- (FOR KEY SHARE), in that order of waiting: route rows first (see execute).
-- Deletes and inserts made here are the engine's, not people's: while they run, this
-- transaction's row in task_sync.applying (which no reader or writer may write) tells the task
-- triggers so. Owner only: no reader or writer may execute it (it trusts the plan it is given).
-- The audit's run_by is the caller of execute or sync_pending (_caller).
-- Locks:   the task rows it writes (row locks taken by UPDATE and DELETE).
-- Raises:  nothing of its own.
-- Writes:  applying, task, task_dismissal, work_order_mark, work_order (synced_version), sync_run,
--          sync_item (one row per applied change, written by the same statement), sync_failure.

CREATE OR REPLACE FUNCTION task_sync_internal._apply(
    p_work_order_ids bigint[], p_rows task_sync.plan_row[], p_overwrite_edits boolean,
    p_restore_dismissed boolean, p_via text, p_marks bigint[], p_plan_hash text DEFAULT NULL)
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
    INSERT INTO task_sync.applying (xact) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    RETURN QUERY
    WITH r AS MATERIALIZED (
        SELECT * FROM unnest(p_rows)
    ),
    wo AS MATERIALIZED (
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
        WHERE r.action = 'add'
        -- a generated task with this key that appeared since the plan was read satisfies it
        ON CONFLICT (work_order_id, work_order_process_id, task_type, source_kind, source_id)
            WHERE origin = 'generated' DO NOTHING
        RETURNING t.id, t.work_order_id, t.work_order_process_id, t.task_type, t.source_kind, t.source_id
    ),
    upd AS (
        UPDATE task_sync.task t SET
            -- three ways, on the row as it is now (_field_write): a field still at its baseline takes
            -- the rule value; an edited field keeps the planner's value unless told to overwrite a conflict
            work_content = task_sync_internal._field_write(
                t.work_content, t.generated_work_content, r.desired_work_content, p_overwrite_edits),
            production_quantity = task_sync_internal._field_write(
                t.production_quantity, t.generated_production_quantity, r.desired_production_quantity,
                p_overwrite_edits),
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
        -- side effect only, like versions and items below (nothing reads them: PostgreSQL runs every
        -- data-modifying WITH statement to completion, read or not).
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
    ),
    applied AS (
        -- the itemised changes, as the audit records them (sync_item): the values before and after
        SELECT del.work_order_id, del.task_id, 'remove' AS action, del.work_order_process_id, del.process_code,
               del.task_type, del.source_kind, del.source_id,
               NULL::text AS work_content, NULL::integer AS production_quantity,
               del.current_work_content AS previous_work_content,
               del.current_production_quantity AS previous_production_quantity,
               false AS restored, false AS overwritten
        FROM del
        UNION ALL
        SELECT ins.work_order_id, ins.id, 'add', r.work_order_process_id, r.process_code,
               r.task_type, r.source_kind, r.source_id,
               r.desired_work_content, r.desired_production_quantity, NULL, NULL, r.restored, false
        FROM ins
        JOIN r ON r.work_order_id = ins.work_order_id AND r.work_order_process_id = ins.work_order_process_id
              AND r.task_type = ins.task_type AND r.source_kind = ins.source_kind AND r.source_id = ins.source_id
              AND r.action = 'add'
        UNION ALL
        -- labelled as the plan labels it (a draft with a conflict in one field and an update in the
        -- other is a conflict; with p_overwrite_edits it is an update), so that execute's counts
        -- are its preview's summary; the values before and after say what was written
        SELECT upd.work_order_id, upd.task_id, upd.action,
               upd.work_order_process_id, upd.process_code, upd.task_type, upd.source_kind, upd.source_id,
               upd.new_work_content, upd.new_production_quantity,
               upd.current_work_content, upd.current_production_quantity, false, upd.overwritten
        FROM upd
        WHERE upd.action <> 'keep'
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
        FROM applied a
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
        -- side effect only: the marks taken in raise synced_version
        UPDATE task_sync.work_order w
        SET synced_version = p.to_version
        FROM per_wo p
        WHERE w.id = ANY (p_work_order_ids) AND w.id = p.id AND p.to_version <> p.from_version
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
        -- side effect only: the audit's items
        INSERT INTO task_sync.sync_item (
            sync_run_id, work_order_id, task_id, action, work_order_process_id, process_code, task_type,
            source_kind, source_id, work_content, production_quantity, previous_work_content,
            previous_production_quantity, restored, overwritten)
        SELECT runs.id, a.work_order_id, a.task_id, a.action, a.work_order_process_id, a.process_code, a.task_type,
               a.source_kind, a.source_id, a.work_content, a.production_quantity, a.previous_work_content,
               a.previous_production_quantity, a.restored, a.overwritten
        FROM applied a
        JOIN runs ON runs.work_order_id = a.work_order_id
    )
    SELECT p.id, runs.id, p.plan_hash, p.n_add, p.n_remove, p.n_update, p.n_conflict, p.to_version
    FROM per_wo p
    LEFT JOIN runs ON runs.work_order_id = p.id
    ORDER BY p.id;
    DELETE FROM task_sync.applying a WHERE a.xact = pg_current_xact_id();
END
$$;

COMMENT ON FUNCTION task_sync_internal._apply(bigint[], task_sync.plan_row[], boolean, boolean, text, bigint[], text) IS
    'Applies a computed plan to these work orders in one statement and writes their sync_run rows';

-- task_sync.execute(p_work_order_id bigint, p_confirmed boolean DEFAULT false,
--                   p_expected_plan_hash text DEFAULT NULL, p_overwrite_edits boolean DEFAULT false,
--                   p_restore_dismissed boolean DEFAULT false) -> jsonb
-- Syncs one work order: locks it, recomputes its plan from the database, checks the plan against
-- the hash the caller confirmed (when given), and applies it atomically (_apply): drafts added,
-- removed and updated, conflicts kept (or overwritten when p_overwrite_edits), dismissed drafts
-- left out (or re-added when p_restore_dismissed), synced_version set to the definition_version
-- synced, one sync_run written. Returns {work_order_id, sync_run_id, plan_hash, added, removed,
-- updated, conflicts, synced_version}. Idempotent: a second execute changes nothing and writes no
-- sync_run (sync_run_id is null).
-- The marks it takes in are the ones it reads before it computes the plan: a change committed
-- after that keeps its mark, and the work order stays pending for the next sync.
-- The plan it checks and applies is the one preview(p_work_order_id, p_overwrite_edits,
-- p_restore_dismissed) shows: a hash previewed with other flags confirms it only when the two
-- plans are the same.
-- SECURITY DEFINER (owner's rights, search_path pinned): it writes the engine's books, which no
-- caller may write directly. It takes no plan from its caller; the audit records the caller
-- (_caller), not the owner.
-- Locks:   in this order: the work order's route rows FOR KEY SHARE (a route row being deleted is
--          waited for), the work order row FOR NO KEY UPDATE (two syncs of one work order run one
--          after the other; edits of inputs do not touch this row, marking inserts a row of its
--          own), then the route rows the plan adds drafts for FOR KEY SHARE SKIP LOCKED (a route row
--          added after the first lock is not held until then), then the task rows _apply writes (a
--          draft a planner holds is waited for). A route row deleted in the gap between the first
--          two locks, or deleted or held after the plan added drafts for it, is reported as 40001
--          (retry).
-- Raises:  TSC07 a read-only transaction (a hot standby: run it on the primary);
--          TSV01 invalid id, malformed hash or null flag; TSC01 p_confirmed not true;
--          TSN01 work order not found; TSC03 work order may not be synced; TSC02 stale plan;
--          40001 the route changed under the sync (retry).
-- Writes:  task, task_dismissal, work_order_mark, work_order, sync_run (all through _apply).

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
-- Hash joins, at every size: a long-lived session that ran execute on small work orders has
-- generic plans cached for its statements (and those of _plan_rows and _apply), built for a few
-- rows; reused for a work order of thousands of drafts, their nested loops over CTE scans went
-- quadratic (measured: 37 s instead of 1.3 s for 7,500 drafts), and so did custom plans when
-- statistics did not know a new work order yet. Hash joins stay linear whatever the plan
-- assumed. (Not plan_cache_mode = force_custom_plan: it applies to the foreign-key checks of the
-- rows written too, and replanning those per row cost 80 µs a row.)
SET enable_nestloop = off
-- with nested loops off, a plan that still needs one carries the disable cost, which would start JIT
SET jit = off
-- Generic plans, from the first call: planning the desired set, the plan and the writes for one
-- work order took about half of a small execute (measured on PostgreSQL 18: 13 ms per call
-- with the planner's own choice, which kept planning custom plans, 6 ms with generic ones), and
-- a generic plan built with nested loops off stays linear at any size (the cliff above). Applies
-- to the SQL functions execute calls too, which cache plans from PostgreSQL 18 on.
SET plan_cache_mode = force_generic_plan
-- No parallel workers: one work order's reads are index lookups; a Gather started two workers per
-- call where a hash join read a whole catalog (the catalogs' names are index lookups now, see
-- _source_view_build), and starting them costs more than a call's work.
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
            MESSAGE = format('malformed plan hash: %L', p_expected_plan_hash),
            HINT = 'Pass the plan_hash of task_sync.preview(): 64 lowercase hex digits.';
    END IF;
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
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
    IF NOT task_sync_internal._may_sync(v_wo.status, v_wo.approval_status) THEN
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
            MESSAGE = format('stale plan for work order %s: the plan changed since it was previewed', p_work_order_id),
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

-- task_sync.repair_marks() -> integer
-- The repair after writes that bypassed the marking triggers: rows written while
-- session_replication_role = replica (logical replication apply, pg_restore --disable-triggers)
-- or with the triggers disabled. Computes the plan of every work order that has no mark (parked
-- marks of a closed job count), in chunks of 1,000, and marks each whose plan has an add, remove, update or conflict; returns how
-- many it marked. Run it as the schema owner after such a load, at READ COMMITTED.
-- Locks:   none (plain reads, then inserts of marks).
-- Raises:  TSC05 not READ COMMITTED.
-- Writes:  work_order_mark (through _mark).

CREATE OR REPLACE FUNCTION task_sync.repair_marks()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    c_chunk CONSTANT integer := 1000;
    v_after bigint := 0;
    v_ids   bigint[];
    v_count integer := 0;
BEGIN
    PERFORM task_sync_internal._require_read_committed('repair_marks()');
    LOOP
        v_ids := ARRAY(
            SELECT w.id
            FROM task_sync.work_order w
            WHERE w.id > v_after
              AND NOT EXISTS (SELECT FROM task_sync.work_order_mark m WHERE m.work_order_id = w.id)
              AND NOT EXISTS (SELECT FROM task_sync.work_order_mark_parked p WHERE p.work_order_id = w.id)
            ORDER BY w.id
            LIMIT c_chunk);
        EXIT WHEN cardinality(v_ids) = 0;
        v_after := v_ids[cardinality(v_ids)];
        v_count := v_count + task_sync_internal._mark(ARRAY(
            SELECT DISTINCT r.work_order_id
            FROM task_sync_internal._plan_rows(v_ids) AS r
            WHERE r.action IN ('add', 'remove', 'update', 'conflict')));
    END LOOP;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION task_sync.repair_marks() IS
    'repair_marks() -> integer: marks every work order whose plan has something to do but that is not '
    'pending (after loads with triggers off); returns how many. Owner only. TSC05: not READ COMMITTED';

-- task_sync.plan(p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false,
--                p_restore_dismissed boolean DEFAULT false) -> setof task_sync.plan_row
-- The items of preview() with the same flags as rows, in the same order, for reading in psql:
--   SELECT action, task_id, process_code, task_type, source_kind, source_id FROM task_sync.plan(42);
--   SELECT action, restored, overwritten FROM task_sync.plan(42, p_restore_dismissed => true);
-- Locks:   none (plain reads).
-- Raises:  TSV01 invalid id or a NULL flag; TSN01 work order not found.
-- Writes:  nothing.

CREATE OR REPLACE FUNCTION task_sync.plan(
    p_work_order_id bigint, p_overwrite_edits boolean DEFAULT false, p_restore_dismissed boolean DEFAULT false)
RETURNS SETOF task_sync.plan_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
-- see execute: hash joins, generic plans from the first call, no parallel workers
SET enable_nestloop = off
SET jit = off
SET plan_cache_mode = force_generic_plan
SET max_parallel_workers_per_gather = 0
AS $$
BEGIN
    PERFORM task_sync_internal._work_order(p_work_order_id);
    PERFORM task_sync_internal._check_flags(p_overwrite_edits, p_restore_dismissed);
    RETURN QUERY
        SELECT (i.r).*
        FROM task_sync_internal._items(ARRAY(
                SELECT r FROM task_sync_internal._plan_rows(ARRAY[p_work_order_id], p_overwrite_edits, p_restore_dismissed) AS r)) AS i
        ORDER BY i.ord;
END
$$;

COMMENT ON FUNCTION task_sync.plan(bigint, boolean, boolean) IS
    'plan(p_work_order_id, p_overwrite_edits false, p_restore_dismissed false) -> rows: the items of '
    'preview with the same flags, for psql. TSV01: invalid id or a NULL flag; TSN01: work order not '
    'found';

-- task_sync_internal._source_view_build() -> void
-- (Re)creates, from the registry task_sync.source_kind, the two readings of every source of every
-- work order: the view task_sync.work_order_source (for people) and the function
-- task_sync_internal._sources(p_work_order_ids) (for the engine: _desired). Both have one UNION ALL
-- branch per kind, in the order of the kinds' names, each giving (work_order_id, source_kind,
-- source_id, name, quantity):
--   work_order  the work order itself: source_id its id, name its order_number;
--   link        work_order_<kind> joined to its catalog: source_id the catalog id, name its name;
--   line        work_order_<kind> joined to its catalog: source_id the line id, name the catalog
--               name, quantity the line's; with line_filter, only lines where that column is true.
-- The function's branches read only the given work orders' links and lines, and only the catalog
-- rows those name (c.id = ANY (ARRAY(the links' catalog ids)): one index scan for all of them);
-- the join of the two is then of the work orders' own rows. The engine plans with nested loops off
-- (see execute), under which the view's join read each catalog in full into a hash, so a call's
-- cost grew with the catalogs (a print shop's artworks grow without bound), and a scalar subquery
-- per source instead doubled the desired set of a batch. It is a SQL function with a standard body
-- and no SET clause, so it is inlined into _desired with the parameter in place (and bound when
-- created: a kind's tables cannot be dropped while a branch names them).
-- Identifiers come from the registry through format('%I') and literals through format('%L'): a
-- kind's name never reaches SQL unquoted.
-- Locks:   the view and the function, ACCESS EXCLUSIVE (CREATE OR REPLACE), until commit.
-- Raises:  nothing of its own.
-- Writes:  the view's and the function's definitions.

CREATE OR REPLACE FUNCTION task_sync_internal._source_view_build()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_view  text[];
    v_fn    text[];
BEGIN
    SELECT array_agg(b.v ORDER BY b.kind), array_agg(b.f ORDER BY b.kind)
    INTO v_view, v_fn
    FROM (
        SELECT k.kind,
            CASE k.shape
            WHEN 'work_order' THEN format(
                'SELECT w.id AS work_order_id, %L::text AS source_kind, w.id AS source_id,'
                ' w.order_number AS name, NULL::integer AS quantity FROM task_sync.work_order w', k.kind)
            WHEN 'link' THEN format(
                'SELECT l.work_order_id, %L::text AS source_kind, l.%I AS source_id, c.name, NULL::integer AS quantity'
                ' FROM task_sync.%I l JOIN task_sync.%I c ON c.id = l.%I',
                k.kind, k.kind || '_id', 'work_order_' || k.kind, k.kind, k.kind || '_id')
            ELSE format(
                'SELECT l.work_order_id, %L::text AS source_kind, l.id AS source_id, c.name, l.quantity'
                ' FROM task_sync.%I l JOIN task_sync.%I c ON c.id = l.%I%s',
                k.kind, 'work_order_' || k.kind, k.kind, k.kind || '_id',
                CASE WHEN k.line_filter IS NOT NULL THEN format(' WHERE l.%I', k.line_filter) ELSE '' END)
            END AS v,
            CASE k.shape
            WHEN 'work_order' THEN format(
                'SELECT w.id, %L::text, w.id, w.order_number, NULL::integer FROM task_sync.work_order w'
                ' WHERE w.id = ANY (p_work_order_ids)', k.kind)
            ELSE format(
                'SELECT l.work_order_id, %L::text, %s, c.name, %s'
                ' FROM task_sync.%I l JOIN task_sync.%I c ON c.id = l.%I'
                ' WHERE l.work_order_id = ANY (p_work_order_ids)%s'
                ' AND c.id = ANY (ARRAY(SELECT x.%I FROM task_sync.%I x WHERE x.work_order_id = ANY (p_work_order_ids)))',
                k.kind,
                CASE k.shape WHEN 'link' THEN format('l.%I', k.kind || '_id') ELSE 'l.id' END,
                CASE k.shape WHEN 'link' THEN 'NULL::integer' ELSE 'l.quantity' END,
                'work_order_' || k.kind, k.kind, k.kind || '_id',
                CASE WHEN k.line_filter IS NOT NULL THEN format(' AND l.%I', k.line_filter) ELSE '' END,
                k.kind || '_id', 'work_order_' || k.kind)
            END AS f
        FROM task_sync.source_kind k
    ) b;
    EXECUTE 'CREATE OR REPLACE VIEW task_sync.work_order_source AS '
        || array_to_string(v_view, ' UNION ALL ');
    COMMENT ON VIEW task_sync.work_order_source IS
        'Every source of every work order, of every registered kind: what a rule of that source_kind yields one task per '
        '(rebuilt from task_sync.source_kind)';
    EXECUTE 'CREATE OR REPLACE FUNCTION task_sync_internal._sources(p_work_order_ids bigint[])'
        ' RETURNS TABLE (work_order_id bigint, source_kind text, source_id bigint, name text, quantity integer)'
        ' LANGUAGE sql STABLE BEGIN ATOMIC '
        || array_to_string(v_fn, ' UNION ALL ') || '; END';
    COMMENT ON FUNCTION task_sync_internal._sources(bigint[]) IS
        'The sources of these work orders, of every registered kind, reading only their catalog rows (rebuilt from '
        'task_sync.source_kind)';
END
$$;

COMMENT ON FUNCTION task_sync_internal._source_view_build() IS
    'Rebuilds the view work_order_source and the function _sources from the registry of source kinds';

-- the view of every source rebuilt, and the function the desired set reads instead created
SELECT task_sync_internal._source_view_build();
-- task_sync_internal._desired(p_work_order_ids bigint[])
--   -> setof (work_order_id, work_order_process_id, process_code, task_type, source_kind, source_id,
--             work_content, production_quantity)
-- The desired set D: the generated tasks the rules yield for these work orders now, computed from
-- the database alone. Every process of a work order takes the rules of its code, or the default
-- rules (process_code NULL) when its code has none; each rule yields one task per source of its
-- source_kind, as _sources gives them for every registered kind (the work order itself, each
-- linked catalog row of a link kind, each line of a line kind, e.g. each material line that needs
-- cutting), reading only these work orders' rows and the catalog rows they name. One set-based
-- query for any number of work orders.
-- Locks:   none (plain reads).
-- Raises:  nothing.
-- Writes:  nothing.

CREATE OR REPLACE FUNCTION task_sync_internal._desired(p_work_order_ids bigint[])
RETURNS TABLE (
    work_order_id           bigint,
    work_order_process_id   bigint,
    process_code            text,
    task_type               text,
    source_kind             text,
    source_id               bigint,
    work_content            text,
    production_quantity     integer
)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH effective_rule AS MATERIALIZED (
        -- the rules each process of the catalog takes: its own, else the defaults; a template's
        -- regular-expression check runs here, once per rule and process
        SELECT p.id AS process_id, p.code, p.name, r.source_kind, r.task_type, r.quantity_source,
               r.content_template, task_sync_internal._template_ok(r.content_template) AS template_ok
        FROM task_sync.process p
        JOIN task_sync.generation_rule r ON r.process_code = p.code
        UNION ALL
        SELECT p.id, p.code, p.name, r.source_kind, r.task_type, r.quantity_source, r.content_template,
               task_sync_internal._template_ok(r.content_template)
        FROM task_sync.process p
        JOIN task_sync.generation_rule r ON r.process_code IS NULL
        WHERE NOT EXISTS (SELECT FROM task_sync.generation_rule s WHERE s.process_code = p.code)
    ),
    wo AS MATERIALIZED (
        SELECT w.id, w.order_number, w.production_quantity
        FROM task_sync.work_order w
        WHERE w.id = ANY (p_work_order_ids)
    ),
    -- each process of the route with the rules it takes (materialized: a few rows per work order,
    -- so that sources are joined by (work order, kind) and never multiplied first)
    route AS MATERIALIZED (
        -- the template resolved here, once per rule and route row; per task only {source_name} is left
        SELECT wop.work_order_id, wop.id, er.code, er.name, er.task_type, er.source_kind, er.quantity_source,
               er.content_template,
               task_sync_internal._template_pre(er.content_template, er.template_ok, wo.order_number, er.code, er.name) AS pre
        FROM task_sync.work_order_process wop
        JOIN effective_rule er ON er.process_id = wop.process_id
        JOIN wo ON wo.id = wop.work_order_id
        WHERE wop.work_order_id = ANY (p_work_order_ids)
    ),
    source AS MATERIALIZED (
        -- every kind read the same way: built from the registry of kinds (_source_view_build)
        SELECT s.work_order_id, s.source_kind AS kind, s.source_id, s.name, s.quantity
        FROM task_sync_internal._sources(p_work_order_ids) s
    )
    SELECT rt.work_order_id, rt.id, rt.code, rt.task_type, rt.source_kind, s.source_id,
           task_sync_internal._content_from_pre(rt.pre, rt.content_template, wo.order_number, rt.code, rt.name, s.name),
           CASE rt.quantity_source
               WHEN 'one' THEN 1
               WHEN 'work_order' THEN coalesce(wo.production_quantity, 0)
               ELSE s.quantity
           END
    FROM route rt
    JOIN source s ON s.work_order_id = rt.work_order_id AND s.kind = rt.source_kind
    JOIN wo ON wo.id = rt.work_order_id
$$;

COMMENT ON FUNCTION task_sync_internal._desired(bigint[]) IS
    'The desired generated tasks of these work orders, computed from the rules and the current inputs';


-- pending() returns two more columns, sync_pending() takes p_skip: new signatures
DROP FUNCTION task_sync.pending(integer);
-- task_sync.pending(p_limit integer DEFAULT NULL)
--   -> setof (work_order_id, order_number, definition_version, synced_version, pending_since,
--             last_error, retry_after)
-- The work orders that need a sync and may be synced (_queue), the one waiting longest
-- first; at most p_limit of them (NULL: all). definition_version is synced_version plus the
-- changes its marks stand for; pending_since is when the oldest of them was made. last_error and
-- retry_after say why sync_pending could not sync it last time and until when it passes over it
-- (NULL when its last sync did not fail; execute is not held back).
-- Locks:   none (plain reads).
-- Raises:  TSV01 negative limit.
-- Writes:  nothing.

CREATE FUNCTION task_sync.pending(p_limit integer DEFAULT NULL)
RETURNS TABLE (
    work_order_id       bigint,
    order_number        text,
    definition_version  bigint,
    synced_version      bigint,
    pending_since       timestamptz,
    last_error          text,
    retry_after         timestamptz
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
        SELECT c.work_order_id, c.order_number, c.synced_version + c.weight, c.synced_version, c.pending_since,
               f.sqlstate || ': ' || f.message, f.retry_after
        FROM task_sync_internal._queue() c
        LEFT JOIN task_sync.sync_failure f ON f.work_order_id = c.work_order_id
        WHERE c.may_sync
        ORDER BY c.pending_since, c.work_order_id
        LIMIT p_limit;
END
$$;

COMMENT ON FUNCTION task_sync.pending(integer) IS
    'pending(p_limit NULL) -> rows: work orders that need a sync and may be synced, longest waiting '
    'first (at most p_limit; NULL: all), with the error of a failed batch sync. TSV01: negative limit';

DROP FUNCTION task_sync.sync_pending(integer);
-- task_sync.sync_pending(p_limit integer DEFAULT NULL, p_skip bigint[] DEFAULT NULL)
--   -> setof (work_order_id, added, removed, updated, conflicts, sync_run_id)
-- Syncs the work orders that need it (at most p_limit, NULL: all; never those in p_skip), the one
-- waiting longest first, set-based: the desired sets, differences and writes of a chunk of work
-- orders are a few statements, not a loop over execute. Several workers can run it at once and
-- split the work. One sync_run per work order that changed. Step by step, per chunk:
--   1. candidates   the next ones waiting longest, read without locking: among the oldest 10,000
--                   marks (an index scan), or among all (_queue, as pending() reads them) when those
--                   hold too few; not those tried in this call, nor those whose last sync failed
--                   (sync_failure) until their retry_after or a new change. Closed jobs met among
--                   the oldest marks have their marks parked;
--   2. claim        _claim, never waiting; a work order another session holds (a sync of it, a
--                   planner's open edit of a draft, a route row being deleted, an application's
--                   foreign key check on a draft) is busy: it stays pending for a later call, the
--                   attempt is rolled back so that none of its locks is kept, the rest claimed again;
--   3. plan         the marks first, the plan after (see execute); the route rows the plan adds
--                   drafts for are held (_hold_route), or the work order is busy;
--   4. apply        _apply. When it fails (an application's foreign key to a draft it must remove, a
--                   trigger of one's own, ...), the chunk is tried again in halves, down to the one
--                   work order that fails, whose error is recorded in sync_failure (it stays pending,
--                   retried after a growing pause); the others are synced.
-- Each attempt is a subtransaction; PostgreSQL keeps 64 committed ones of a transaction in shared
-- memory and makes every reader of the database slower once a transaction has more, so a call
-- commits at most 60: chunks grow with the backlog (500 work orders, or a fortieth of the backlog)
-- and what does not fit stays pending for the next call (call it again while it returns rows).
-- The marks of work orders that may not be synced are parked (_park_marks: one row per work order
-- in work_order_mark_parked; reopening the work order brings them back), so that they neither pile
-- up nor slow the candidates.
-- Serialization failures and deadlocks (40001, 40P01), lock timeouts, cancellation and resource
-- errors end the call as they are: they are the caller's to retry.
-- The locks of synced work orders last until the caller's transaction ends: to keep that short
-- for a large backlog, call it with a limit in a transaction of its own, again while it returns
-- rows (the CLI and the worker do). It never waits for a row lock or a transaction; only a
-- table lock a DBA takes on purpose (LOCK TABLE) can make it wait.
-- SECURITY DEFINER (owner's rights, search_path pinned), like execute and for the same reason.
-- Locks:   per chunk, all SKIP LOCKED (never waiting): see _claim and _hold_route; the rows of
--          the closed work orders whose marks it parks FOR NO KEY UPDATE.
-- Raises:  TSC07 a read-only transaction (a hot standby: run it on the primary); TSV01 negative limit.
-- Writes:  task, task_dismissal, work_order_mark, work_order_mark_parked, work_order, sync_run,
--          sync_item, sync_failure (through _apply, and the failures it records).

CREATE FUNCTION task_sync.sync_pending(p_limit integer DEFAULT NULL, p_skip bigint[] DEFAULT NULL)
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
    c_chunk     CONSTANT integer := 500;    -- work orders per chunk, at least
    c_chunks    CONSTANT integer := 40;     -- chunks the backlog is cut into, at most (when larger)
    c_budget    CONSTANT integer := 60;     -- committed subtransactions per call (PostgreSQL caches 64)
    v_used      integer := 0;               -- committed so far
    v_left      integer := p_limit;         -- how many more may be synced (NULL: no limit)
    c_window    CONSTANT integer := 10000;  -- the oldest marks searched first
    v_size      integer;                    -- work orders per chunk
    v_backlog   bigint;                     -- how many wait (counted for a large call only)
    v_pass      integer;
    v_want      integer;
    v_scanned   bigint;                     -- the oldest marks read
    v_closed    bigint[];                   -- closed jobs with marks, met among them
    v_seen      bigint[] := coalesce(p_skip, '{}'::bigint[]);  -- tried in this call, or not to be tried
    v_try       bigint[];                   -- the chunk's candidates
    v_ranges    integer[] := '{}'::integer[];          -- queue of groups of the chunk: (first, last) index pairs into v_try
    v_busy      bigint[] := '{}'::bigint[];           -- found busy in this call: left out of every group
    v_first     integer;
    v_last      integer;
    v_group     bigint[];
    v_claim     record;
    v_marks     bigint[];
    v_rows      task_sync.plan_row[];
    v_route     bigint[];
    v_state     text;
    v_message   text;
    v_detail    text;
BEGIN
    PERFORM task_sync_internal._require_writable('task_sync.sync_pending');
    IF p_limit < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'TSV01',
            MESSAGE = format('invalid limit: %s', p_limit),
            HINT = 'Pass a limit >= 0, or NULL for no limit.';
    END IF;
    -- the chunks' size: a fortieth of a large backlog (counted only for a call that may sync more
    -- than a chunk)
    v_size := c_chunk;
    IF p_limit IS NULL OR p_limit > c_chunk THEN
        v_backlog := (SELECT count(*) FROM task_sync_internal._queue() c WHERE c.may_sync);
        v_size := greatest(c_chunk, ceil(least(v_backlog, coalesce(p_limit, v_backlog))::numeric / c_chunks)::integer);
    END IF;
    -- the first pass always runs: sync_pending(0) parks the closed jobs' marks and syncs nothing
    v_pass := 0;
    WHILE (v_pass = 0 OR v_left IS NULL OR v_left > 0) AND v_used < c_budget LOOP
        v_pass := v_pass + 1;
        v_want := least(v_size, coalesce(v_left, v_size));
        -- 1. candidates, longest waiting first, read without locking: first among the oldest marks
        -- only (an index scan of c_window rows: what waits longest is there, however many marks a
        -- storm of rule changes left behind it), and from every mark when those hold too few. The
        -- closed jobs met on the way have their marks parked.
        WITH oldest AS MATERIALIZED (
            SELECT m.work_order_id, m.marked_at
            FROM task_sync.work_order_mark m
            ORDER BY m.marked_at, m.id
            LIMIT c_window
        ),
        queue AS MATERIALIZED (
            SELECT o.work_order_id, min(o.marked_at) AS since,
                   task_sync_internal._may_sync(w.status, w.approval_status) AS may_sync, w.synced_version
            FROM oldest o
            JOIN task_sync.work_order w ON w.id = o.work_order_id
            GROUP BY o.work_order_id, w.status, w.approval_status, w.synced_version
        )
        SELECT ARRAY(SELECT q.work_order_id FROM queue q
                     WHERE q.may_sync AND q.work_order_id <> ALL (v_seen)
                       AND NOT task_sync_internal._failure_pause(q.work_order_id, q.synced_version)
                     ORDER BY q.since, q.work_order_id
                     LIMIT v_want),
               ARRAY(SELECT q.work_order_id FROM queue q WHERE NOT q.may_sync),
               (SELECT count(*) FROM oldest)
        INTO v_try, v_closed, v_scanned;
        IF cardinality(v_try) < v_want AND v_scanned = c_window THEN
            v_try := ARRAY(
                SELECT c.work_order_id FROM task_sync_internal._queue() c
                WHERE c.may_sync AND c.work_order_id <> ALL (v_seen)
                  AND NOT task_sync_internal._failure_pause(c.work_order_id, c.synced_version)
                ORDER BY c.pending_since, c.work_order_id
                LIMIT v_want);
        END IF;
        IF cardinality(v_closed) > 0 THEN
            PERFORM task_sync_internal._park_marks(v_closed);
        END IF;
        EXIT WHEN cardinality(v_try) = 0;
        v_seen := v_seen || v_try;
        v_ranges := ARRAY[1, cardinality(v_try)];

        WHILE cardinality(v_ranges) > 0 AND v_used < c_budget LOOP
            v_first := v_ranges[1];
            v_last := v_ranges[2];
            v_ranges := v_ranges[3:];
            v_group := ARRAY(SELECT g FROM unnest(v_try[v_first:v_last]) AS g WHERE g <> ALL (v_busy));
            CONTINUE WHEN cardinality(v_group) = 0;
            BEGIN
                -- 2. claim
                v_claim := task_sync_internal._claim(v_group);
                IF cardinality(v_claim.busy) > 0 THEN
                    -- roll this attempt back, so that no lock of a busy work order is kept
                    RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'busy work orders', DETAIL = v_claim.busy::text;
                END IF;
                -- 3. the marks first, the plan after; a work order whose marks are gone was synced by
                -- another session since the candidates were read: not this one's
                SELECT coalesce(array_agg(m.id), '{}'), coalesce(array_agg(DISTINCT m.work_order_id), '{}')
                INTO v_marks, v_group
                FROM task_sync.work_order_mark m
                WHERE m.work_order_id = ANY (v_claim.claimed);
                IF cardinality(v_group) > 0 THEN
                    -- for a client that asked for DEBUG messages (the worker: which work orders a
                    -- statement_timeout cut short)
                    RAISE DEBUG USING MESSAGE = 'pytask_sync: syncing work orders', DETAIL = v_group::text;
                    SELECT coalesce(array_agg(r), '{}'),
                           coalesce(array_agg(DISTINCT r.work_order_process_id) FILTER (WHERE r.action = 'add'), '{}')
                    INTO v_rows, v_route
                    FROM task_sync_internal._plan_rows(v_group) AS r;
                    IF cardinality(v_route) > 0 THEN
                        v_route := task_sync_internal._hold_route(v_group, v_route);
                        v_claim.busy := ARRAY(
                            SELECT DISTINCT r.work_order_id
                            FROM unnest(v_rows) AS r
                            WHERE r.action = 'add' AND r.work_order_process_id <> ALL (v_route));
                        IF cardinality(v_claim.busy) > 0 THEN
                            RAISE EXCEPTION USING ERRCODE = 'TSR01', MESSAGE = 'busy work orders', DETAIL = v_claim.busy::text;
                        END IF;
                    END IF;
                    -- 4. apply
                    RETURN QUERY
                        SELECT a.work_order_id, a.added, a.removed, a.updated, a.conflicts, a.sync_run_id
                        FROM task_sync_internal._apply(v_group, v_rows, false, false, 'sync_pending', v_marks) AS a;
                    v_left := v_left - cardinality(v_group);
                END IF;
                v_used := v_used + 1;
            EXCEPTION
                WHEN SQLSTATE 'TSR01' THEN
                    -- the attempt's locks are released: claim the group again without the busy ones
                    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
                    v_busy := v_busy || v_detail::bigint[];
                    v_ranges := ARRAY[v_first, v_last] || v_ranges;
                WHEN SQLSTATE '40001' OR SQLSTATE '40P01' OR SQLSTATE '55P03' THEN
                    RAISE;  -- the caller's to retry
                WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                            v_detail = PG_EXCEPTION_DETAIL;
                    IF left(v_state, 2) IN ('53', '54', '57', '58', 'XX') THEN
                        RAISE;  -- resources, or the server itself: not one work order's doing
                    END IF;
                    IF cardinality(v_group) > 1 THEN
                        -- again in halves, down to the one that fails
                        v_ranges := ARRAY[v_first, (v_first + v_last) / 2, (v_first + v_last) / 2 + 1, v_last] || v_ranges;
                    ELSE
                        PERFORM task_sync_internal._record_failure(v_group[1], v_state, v_message, v_detail);
                    END IF;
            END;
        END LOOP;
    END LOOP;
END
$$;

COMMENT ON FUNCTION task_sync.sync_pending(integer, bigint[]) IS
    'sync_pending(p_limit NULL, p_skip NULL) -> rows: syncs pending work orders set-based (at most p_limit; '
    'NULL: all; never those in p_skip), never waiting: what another session holds stays pending, a work '
    'order whose sync fails is recorded in sync_failure and the others are synced. TSC07: a read-only '
    'transaction (run it on the primary); TSV01: negative limit';

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

GRANT SELECT ON task_sync.work_order_mark_parked, task_sync.sync_failure TO task_sync_reader;
GRANT EXECUTE ON FUNCTION task_sync.pending(integer), task_sync_internal._queue(), task_sync_internal._sources(bigint[])
    TO task_sync_reader;
GRANT EXECUTE ON FUNCTION task_sync.sync_pending(integer, bigint[]) TO task_sync_writer;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA task_sync, task_sync_internal FROM PUBLIC;
