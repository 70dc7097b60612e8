-- a batch worker
SELECT count(*) FROM task_sync.sync_pending(20);
