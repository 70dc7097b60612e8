"""The Python API: the wrapper, the worker, the ORMs and the pytest plugin, against a real server."""
