-- task_sync_internal._may_sync(p_status text, p_approval_status text) -> boolean
-- A work order may be synced while it is not approved and neither completed nor cancelled.
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._may_sync(p_status text, p_approval_status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body: bound when created, inlined into the caller's query
RETURN p_approval_status <> 'approved' AND p_status NOT IN ('completed', 'cancelled');

COMMENT ON FUNCTION task_sync_internal._may_sync(text, text) IS 'True while a work order may be synced';
