-- task_sync_internal._caller() -> text
-- The role the session acts as: the role of SET ROLE, or the session user when none is set.
-- Inside a SECURITY DEFINER function current_user is the function's owner; this is who called
-- it, for the audit (sync_run.run_by) and for dismissals (task_dismissal.dismissed_by). A
-- session can only SET ROLE to a role it is a member of, so the name cannot be forged.
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._caller()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- standard SQL body: bound when created
RETURN CASE pg_catalog.current_setting('role')
    WHEN 'none' THEN session_user::text
    ELSE pg_catalog.current_setting('role')
END;

COMMENT ON FUNCTION task_sync_internal._caller() IS
    'The role the session acts as (SET ROLE, else the session user): who called a SECURITY DEFINER function';
