-- task_sync_internal._field_outcome(p_current text, p_baseline text, p_desired text) -> text
-- task_sync_internal._field_outcome(p_current integer, p_baseline integer, p_desired integer) -> text
-- The three-way decision (the one place it is written; _plan_rows labels with it and _apply
-- writes with it, through _field_write) for one generated field of a draft that is still desired:
--   same      the draft already holds the rule value (the baseline moves to it if it was older)
--   update    the draft still holds the baseline and the rules moved: write the rule value
--   edited    a planner changed the field and the rules did not move: the edit stands
--   conflict  a planner changed the field and the rules moved too: the planner's value is kept
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal._field_outcome(p_current text, p_baseline text, p_desired text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body: bound when created, inlined into the planner's query (a standard body
-- cannot be polymorphic, hence one overload per field type)
RETURN CASE
    WHEN p_current IS NOT DISTINCT FROM p_desired THEN 'same'
    WHEN p_current IS NOT DISTINCT FROM p_baseline THEN 'update'
    WHEN p_desired IS NOT DISTINCT FROM p_baseline THEN 'edited'
    ELSE 'conflict'
END;

COMMENT ON FUNCTION task_sync_internal._field_outcome(text, text, text) IS
    'Three-way outcome of one generated field: same, update, edited or conflict';

CREATE FUNCTION task_sync_internal._field_outcome(p_current integer, p_baseline integer, p_desired integer)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- standard SQL body: bound when created, inlined into the planner's query (a standard body
-- cannot be polymorphic, hence one overload per field type)
RETURN CASE
    WHEN p_current IS NOT DISTINCT FROM p_desired THEN 'same'
    WHEN p_current IS NOT DISTINCT FROM p_baseline THEN 'update'
    WHEN p_desired IS NOT DISTINCT FROM p_baseline THEN 'edited'
    ELSE 'conflict'
END;

COMMENT ON FUNCTION task_sync_internal._field_outcome(integer, integer, integer) IS
    'Three-way outcome of one generated field: same, update, edited or conflict';

-- task_sync_internal._field_write(p_current text, p_baseline text, p_desired text, p_overwrite boolean) -> text
-- task_sync_internal._field_write(p_current integer, p_baseline integer, p_desired integer, p_overwrite boolean) -> integer
-- The value a sync leaves in one generated field of a draft that is still desired, by its
-- _field_outcome: update takes the rule value, conflict keeps the planner's (the rule value when
-- p_overwrite), same and edited keep what the field holds. _apply writes with it, on the row as
-- it is at the write, so the three-way rule lives here and in _field_outcome only.

CREATE FUNCTION task_sync_internal._field_write(p_current text, p_baseline text, p_desired text, p_overwrite boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE task_sync_internal._field_outcome(p_current, p_baseline, p_desired)
    WHEN 'update' THEN p_desired
    WHEN 'conflict' THEN CASE WHEN p_overwrite THEN p_desired ELSE p_current END
    ELSE p_current
END;

COMMENT ON FUNCTION task_sync_internal._field_write(text, text, text, boolean) IS
    'The value a sync leaves in one generated field, by its three-way outcome';

CREATE FUNCTION task_sync_internal._field_write(p_current integer, p_baseline integer, p_desired integer, p_overwrite boolean)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE task_sync_internal._field_outcome(p_current, p_baseline, p_desired)
    WHEN 'update' THEN p_desired
    WHEN 'conflict' THEN CASE WHEN p_overwrite THEN p_desired ELSE p_current END
    ELSE p_current
END;

COMMENT ON FUNCTION task_sync_internal._field_write(integer, integer, integer, boolean) IS
    'The value a sync leaves in one generated field, by its three-way outcome';
