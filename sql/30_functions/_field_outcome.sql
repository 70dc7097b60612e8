-- task_sync._field_outcome(p_current text, p_baseline text, p_desired text) -> text
-- task_sync._field_outcome(p_current integer, p_baseline integer, p_desired integer) -> text
-- The three-way decision for one generated field of a draft that is still desired:
--   same      the draft already holds the rule value (the baseline moves to it if it was older)
--   update    the draft still holds the baseline and the rules moved: write the rule value
--   edited    a planner changed the field and the rules did not move: the edit stands
--   conflict  a planner changed the field and the rules moved too: the planner's value is kept
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

CREATE FUNCTION task_sync._field_outcome(p_current text, p_baseline text, p_desired text)
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

COMMENT ON FUNCTION task_sync._field_outcome(text, text, text) IS
    'Three-way outcome of one generated field: same, update, edited or conflict';

CREATE FUNCTION task_sync._field_outcome(p_current integer, p_baseline integer, p_desired integer)
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

COMMENT ON FUNCTION task_sync._field_outcome(integer, integer, integer) IS
    'Three-way outcome of one generated field: same, update, edited or conflict';
