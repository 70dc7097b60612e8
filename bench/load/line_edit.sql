-- change line quantities
\set wo random(1, :nwo)
\set q random(1, 5000)
UPDATE task_sync.work_order_product SET quantity = :q WHERE work_order_id = :wo;
UPDATE task_sync.work_order_material SET quantity = :q, need_cutting = NOT need_cutting WHERE work_order_id = :wo;
