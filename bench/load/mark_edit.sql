-- an edit that marks its work order: a product line's quantity
\set wo random(1, :nwo)
UPDATE task_sync.work_order_product SET quantity = quantity + 1 WHERE work_order_id = :wo;
