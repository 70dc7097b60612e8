-- link or unlink an artwork
\set wo random(1, :nwo)
\set art random(1, 20)
\set coin random(0, 1)
INSERT INTO task_sync.work_order_artwork (work_order_id, artwork_id)
    SELECT :wo, id FROM task_sync.artwork WHERE code = 'LOAD-' || :art AND :coin = 0
    ON CONFLICT DO NOTHING;
DELETE FROM task_sync.work_order_artwork
    WHERE :coin = 1 AND work_order_id = :wo
      AND artwork_id = (SELECT id FROM task_sync.artwork WHERE code = 'LOAD-' || :art);
