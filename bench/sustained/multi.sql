-- one transaction of several edits (the work order row, lines, the route, a draft), then a sync.
-- The route rows come before the draft, as an application that deletes route rows must order them:
-- deleting a route row sets its tasks' process to NULL (the foreign key's ON DELETE SET NULL) and so
-- locks the route row, then its tasks; a transaction that locked a draft first and then waited for
-- its route row would deadlock with that delete whether or not the engine is installed.
\set wo random(1, :nwo)
\set q random(1, 9000)
BEGIN;
UPDATE task_sync.work_order SET production_quantity = :q WHERE id = :wo;
UPDATE task_sync.work_order_product SET quantity = quantity + 1 WHERE work_order_id = :wo;
UPDATE task_sync.work_order_material SET quantity = quantity + 1 WHERE work_order_id = :wo;
UPDATE task_sync.work_order_process SET sequence = sequence WHERE work_order_id = :wo;
UPDATE task_sync.task SET production_quantity = production_quantity
    WHERE id = (SELECT id FROM task_sync.task WHERE work_order_id = :wo AND status = 'draft' ORDER BY id LIMIT 1);
DO $$
BEGIN
    PERFORM task_sync.execute(:wo, true);
EXCEPTION WHEN SQLSTATE 'TSC03' OR foreign_key_violation THEN
    RAISE NOTICE 'work order % not synced', :wo;
END
$$;
COMMIT;
