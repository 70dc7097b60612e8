-- an edit that marks nothing: a manual task's note
\set wo random(1, :nwo)
UPDATE task_sync.task SET quantity_completed = quantity_completed + 1 WHERE work_order_id = :wo AND origin = 'manual';
