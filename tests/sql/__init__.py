"""The SQL engine: each function, trigger, grant and catalog object, and the engine against its model."""
