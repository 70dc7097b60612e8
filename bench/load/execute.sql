-- a service syncing one work order
\set wo random(1, :nwo)
SELECT task_sync.execute(:wo, true);
