-- task_sync_internal.tg_generation_rule__check_quantity() -> trigger
-- Row-level BEFORE INSERT or UPDATE trigger of generation_rule: quantity_source 'source' (the
-- source's own quantity) is for line kinds only, since only lines carry a quantity. A check
-- constraint cannot read the registry of kinds, so this trigger stands in for one: it raises what
-- the constraint did (23514, constraint generation_rule__quantity_source_source_kind_check). A
-- kind's shape never changes, so no concurrent change can make an accepted rule wrong.
-- Locks:   none.
-- Raises:  23514 quantity_source 'source' with a kind that is not a line kind.
-- Writes:  nothing.

CREATE FUNCTION task_sync_internal.tg_generation_rule__check_quantity()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.quantity_source = 'source'
       AND NOT EXISTS (SELECT FROM task_sync.source_kind k WHERE k.kind = NEW.source_kind AND k.shape = 'line') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = format('quantity_source source needs a line kind; %s has no quantity of its own', NEW.source_kind),
            SCHEMA = TG_TABLE_SCHEMA,
            TABLE = TG_TABLE_NAME,
            CONSTRAINT = 'generation_rule__quantity_source_source_kind_check',
            HINT = 'Use one or work_order, or a line kind (SELECT kind FROM task_sync.source_kind WHERE shape = ''line'').';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION task_sync_internal.tg_generation_rule__check_quantity() IS
    'Refuses quantity_source source for a kind that is not a line kind (23514)';
