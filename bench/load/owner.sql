-- the schema owner changes rules and catalog names (at READ COMMITTED, which such changes need)
\set v random(1, 5)
\set art random(1, 20)
\set prod random(1, 20)
BEGIN ISOLATION LEVEL READ COMMITTED;
UPDATE task_sync.generation_rule SET content_template = '{order_number} printing v' || :v WHERE process_code = 'PRT';
UPDATE task_sync.artwork SET name = 'Artwork v' || :v WHERE code = 'LOAD-' || :art;
UPDATE task_sync.product SET name = 'Product v' || :v WHERE code = 'LOAD-' || :prod;
UPDATE task_sync.process SET name = 'Glueing v' || :v WHERE code = 'GLUE';
UPDATE task_sync.generation_rule SET content_template = CASE WHEN :v % 2 = 0 THEN '{source_name} printing'
    ELSE '{order_number} printing' END WHERE process_code = 'PRT';
COMMIT;
