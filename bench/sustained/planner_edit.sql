-- a planner edits a draft, or deletes one (a dismissal); a draft an application's row points at
-- cannot be deleted (23503): the application's rule, which the client goes on through
\set wo random(1, :nwo)
\set coin random(0, 3)
DO $$
BEGIN
    UPDATE task_sync.task SET work_content = 'planner ' || :coin
        WHERE id = (SELECT id FROM task_sync.task WHERE work_order_id = :wo AND status = 'draft'
                    ORDER BY random() LIMIT 1) AND :coin > 0;
    DELETE FROM task_sync.task
        WHERE id = (SELECT id FROM task_sync.task WHERE work_order_id = :wo AND status = 'draft'
                    ORDER BY random() LIMIT 1) AND :coin = 0;
EXCEPTION WHEN foreign_key_violation THEN
    RAISE NOTICE 'a draft of % is the application''s', :wo;
END
$$;
