"""The command line: in-process, as a separate process, and its bad-input catalogue."""
