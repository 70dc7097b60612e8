-- one of two batch loops, each its own client: a chunk per transaction, as the worker runs it
SELECT count(*) FROM task_sync.sync_pending(50);
