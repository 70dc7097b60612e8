-- a job is approved (closed: its marks get parked), or reopened (they come back)
\set wo random(1, :nwo)
UPDATE task_sync.work_order SET approval_status = CASE approval_status WHEN 'approved' THEN 'pending' ELSE 'approved' END
    WHERE id = :wo;
