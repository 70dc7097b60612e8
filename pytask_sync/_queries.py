"""Every SQL text the wrapper sends, in one place."""

from __future__ import annotations

from typing import Final

PREVIEW: Final = """
    SELECT task_sync.preview(
        p_work_order_id => %(work_order_id)s,
        p_overwrite_edits => %(overwrite_edits)s,
        p_restore_dismissed => %(restore_dismissed)s) AS doc
"""
PLAN: Final = """
    SELECT * FROM task_sync.plan(
        p_work_order_id => %(work_order_id)s,
        p_overwrite_edits => %(overwrite_edits)s,
        p_restore_dismissed => %(restore_dismissed)s)
"""
EXECUTE: Final = """
    SELECT task_sync.execute(
        p_work_order_id => %(work_order_id)s,
        p_confirmed => %(confirmed)s,
        p_expected_plan_hash => %(expected_plan_hash)s,
        p_overwrite_edits => %(overwrite_edits)s,
        p_restore_dismissed => %(restore_dismissed)s) AS doc
"""
CHECK_SYNC_NEEDED: Final = "SELECT task_sync.check_sync_needed(%(work_order_id)s) AS needed"
PENDING: Final = """
    SELECT work_order_id, order_number, definition_version, synced_version, pending_since, last_error, retry_after,
           reason, advice
    FROM task_sync.pending(%(limit)s)
"""
#: the worker's: a work order whose sync alone outlasts statement_timeout, recorded (sync_failure)
RECORD_TOO_BIG: Final = "SELECT task_sync_internal._record_too_big(%(work_order_id)s)"
PENDING_COUNT: Final = "SELECT count(*) AS n FROM task_sync.pending()"
PLAN_PENDING: Final = """
    SELECT * FROM task_sync.plan_pending(%(limit)s)
"""
SYNC_PENDING: Final = """
    SELECT work_order_id, added, removed, updated, conflicts, sync_run_id
    FROM task_sync.sync_pending(%(limit)s, CAST(%(skip)s AS bigint[]))
"""
#: the same, asking for sync_pending's DEBUG messages (it names the work orders it syncs in one) for
#: this statement's transaction only: the limit is read through set_config(..., true), which runs
#: before the function does; nothing outlives the transaction (no session setting on a pooler's
#: server connection)
SYNC_PENDING_NAMING: Final = """
    SELECT work_order_id, added, removed, updated, conflicts, sync_run_id
    FROM task_sync.sync_pending(
        (SELECT CAST(%(limit)s AS integer)
         FROM (SELECT pg_catalog.set_config('client_min_messages', 'debug1', true)) AS debug_messages_on),
        CAST(%(skip)s AS bigint[]))
"""
SCHEMA_STATE: Final = """
    SELECT to_regclass('task_sync.work_order') IS NOT NULL AS installed,
           to_regclass('task_sync.alembic_version') IS NOT NULL AS versioned
"""
SCHEMA_REVISION: Final = "SELECT version_num FROM task_sync.alembic_version"
#: the worker: transactions in progress now (their ids, as text), and how many of some are still
IN_PROGRESS_NOW: Final = "SELECT coalesce(array_agg(x::text), '{}') FROM pg_snapshot_xip(pg_current_snapshot()) x"
STILL_IN_PROGRESS: Final = """
    SELECT count(*) FROM unnest(CAST(%(xids)s AS text[])) x WHERE pg_xact_status(x::xid8) = 'in progress'
"""
#: the worker's LISTEN, on a connection of its own that is not pooled
CHANNEL: Final = "task_sync"  # NOTIFY task_sync, <work order id>: _mark announces a work order
LISTEN: Final = f"LISTEN {CHANNEL}"
