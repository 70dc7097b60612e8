"""A Django app with models as ``manage.py inspectdb`` gives them for the task_sync schema, once the
composite keys are pointed at the unique ``id`` and every column's default is a Python default:
what a service that replaced its own schema with this engine's has, and writes whole rows with."""
