-- 60_seed.sql: the 21 standard process codes and the rules that generate tasks from them.

INSERT INTO task_sync.process (code, name) VALUES
    ('CTP', 'Plate making'), ('CUT', 'Cutting'), ('PRT', 'Printing'), ('VAN', 'Varnishing'),
    ('LAM_G', 'Gloss lamination'), ('LAM_M', 'Matte lamination'), ('UV', 'UV coating'),
    ('FOIL_G', 'Gold foiling'), ('FOIL_S', 'Silver foiling'), ('EMB', 'Embossing'),
    ('TEX', 'Texturing'), ('SCORE', 'Scoring'), ('DIE', 'Die cutting'), ('TRIM', 'Trimming'),
    ('LAM_B', 'Board lamination'), ('MOUNT', 'Mounting'), ('GLUE', 'Gluing'), ('BOX', 'Box making'),
    ('WINDOW', 'Window patching'), ('STAPLE', 'Stapling'), ('PACK', 'Packing');

INSERT INTO task_sync.generation_rule (process_code, source_kind, task_type, quantity_source, content_template) VALUES
    ('CTP',    'artwork',         'plate_making', 'one',        '{order_number} plate making'),
    ('CTP',    'die',             'plate_making', 'one',        '{order_number} plate making'),
    ('CTP',    'foiling_plate',   'plate_making', 'one',        '{order_number} plate making'),
    ('CTP',    'embossing_plate', 'plate_making', 'one',        '{order_number} plate making'),
    ('CUT',    'material',        'cutting',      'source',     '{order_number} cutting'),
    ('PRT',    'artwork',         'printing',     'work_order', '{order_number} printing'),
    ('FOIL_G', 'foiling_plate',   'foiling',      'work_order', '{order_number} foiling'),
    ('EMB',    'embossing_plate', 'embossing',    'work_order', '{order_number} embossing'),
    ('DIE',    'die',             'die_cutting',  'work_order', '{order_number} die cutting'),
    ('PACK',   'product',         'packaging',    'source',     '{source_name} packaging'),
    (NULL,     'work_order',      'general',      'work_order', '{process_name}: {order_number}');
