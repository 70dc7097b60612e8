"""Django migrations of pytask_sync: the engine (by its alembic revisions) and the models' state."""
