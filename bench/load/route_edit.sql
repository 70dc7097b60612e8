-- add a process to a route, or delete one (never one with formal tasks: the load makes none)
\set wo random(1, :nwo)
\set p random(1, 21)
\set coin random(0, 1)
INSERT INTO task_sync.work_order_process (work_order_id, process_id, sequence)
    SELECT :wo, :p, nextval('public.load_sequence')::integer WHERE :coin = 0;
DELETE FROM task_sync.work_order_process
    WHERE :coin = 1 AND id = (SELECT id FROM task_sync.work_order_process WHERE work_order_id = :wo
                              ORDER BY random() LIMIT 1);
