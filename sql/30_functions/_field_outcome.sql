-- task_sync_internal._field_outcome(p_current T, p_baseline T, p_desired T) -> text
-- task_sync_internal._field_writes(p_outcome text, p_overwrite boolean) -> boolean
-- task_sync_internal._field_write(p_current T, p_baseline T, p_desired T, p_overwrite boolean) -> T
-- for T each SQL type of the synced fields (pytask_sync/fields.py: text and integer)
-- The three-way decision for one generated field of a draft that is still desired, in two named
-- parts, each written here only (_plan_rows labels and lists fields with them, _apply writes with
-- them through _field_write):
-- _field_outcome, what happened to the field:
--   same      the draft already holds the rule value (the baseline moves to it if it was older)
--   update    the draft still holds the baseline and the rules moved: write the rule value
--   edited    a planner changed the field and the rules did not move: the edit stands
--   conflict  a planner changed the field and the rules moved too: the planner's value is kept
-- _field_writes, whether the sync writes the rule value into it: on update, and on conflict when
-- the sync overwrites edits (p_overwrite: execute's p_overwrite_edits).
-- _field_write, the value a sync leaves in the field: the rule value where _field_writes says so,
-- what the field holds otherwise. _apply writes with it, on the row as it is at the write.
-- _field_outcome and _field_write have standard SQL bodies: bound when created, inlined into the
-- planner's query (a standard body cannot be polymorphic, hence one overload per field type,
-- written for each type by scripts/generate_fields.py).
-- Locks:   none.
-- Raises:  nothing.
-- Writes:  nothing.

-- for each synced type:
--   CREATE FUNCTION task_sync_internal._field_outcome(p_current {sql}, p_baseline {sql}, p_desired {sql})
--   RETURNS text
--   LANGUAGE sql IMMUTABLE PARALLEL SAFE
--   RETURN CASE
--       WHEN p_current IS NOT DISTINCT FROM p_desired THEN 'same'
--       WHEN p_current IS NOT DISTINCT FROM p_baseline THEN 'update'
--       WHEN p_desired IS NOT DISTINCT FROM p_baseline THEN 'edited'
--       ELSE 'conflict'
--   END;
--
--   COMMENT ON FUNCTION task_sync_internal._field_outcome({sql}, {sql}, {sql}) IS
--       'Three-way outcome of one generated field: same, update, edited or conflict';
--
CREATE FUNCTION task_sync_internal._field_outcome(p_current text, p_baseline text, p_desired text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
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
RETURN CASE
    WHEN p_current IS NOT DISTINCT FROM p_desired THEN 'same'
    WHEN p_current IS NOT DISTINCT FROM p_baseline THEN 'update'
    WHEN p_desired IS NOT DISTINCT FROM p_baseline THEN 'edited'
    ELSE 'conflict'
END;

COMMENT ON FUNCTION task_sync_internal._field_outcome(integer, integer, integer) IS
    'Three-way outcome of one generated field: same, update, edited or conflict';

-- end

CREATE FUNCTION task_sync_internal._field_writes(p_outcome text, p_overwrite boolean)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN p_outcome = 'update' OR (p_outcome = 'conflict' AND p_overwrite);

COMMENT ON FUNCTION task_sync_internal._field_writes(text, boolean) IS
    'Whether a sync writes the rule value into a field of this three-way outcome (conflicts only when overwriting)';

-- for each synced type:
--   CREATE FUNCTION task_sync_internal._field_write(p_current {sql}, p_baseline {sql}, p_desired {sql}, p_overwrite boolean)
--   RETURNS {sql}
--   LANGUAGE sql IMMUTABLE PARALLEL SAFE
--   RETURN CASE WHEN task_sync_internal._field_writes(task_sync_internal._field_outcome(p_current, p_baseline, p_desired),
--                                                     p_overwrite)
--               THEN p_desired ELSE p_current END;
--
--   COMMENT ON FUNCTION task_sync_internal._field_write({sql}, {sql}, {sql}, boolean) IS
--       'The value a sync leaves in one generated field, by its three-way outcome';
--
CREATE FUNCTION task_sync_internal._field_write(p_current text, p_baseline text, p_desired text, p_overwrite boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN task_sync_internal._field_writes(task_sync_internal._field_outcome(p_current, p_baseline, p_desired),
                                                  p_overwrite)
            THEN p_desired ELSE p_current END;

COMMENT ON FUNCTION task_sync_internal._field_write(text, text, text, boolean) IS
    'The value a sync leaves in one generated field, by its three-way outcome';

CREATE FUNCTION task_sync_internal._field_write(p_current integer, p_baseline integer, p_desired integer, p_overwrite boolean)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN task_sync_internal._field_writes(task_sync_internal._field_outcome(p_current, p_baseline, p_desired),
                                                  p_overwrite)
            THEN p_desired ELSE p_current END;

COMMENT ON FUNCTION task_sync_internal._field_write(integer, integer, integer, boolean) IS
    'The value a sync leaves in one generated field, by its three-way outcome';

-- end
