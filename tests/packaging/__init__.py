"""How the engine is installed and run: migrations, the wheel, standbys, pg_cron, and the suite itself."""
