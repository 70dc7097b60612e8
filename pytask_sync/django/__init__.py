"""pytask_sync for Django (``pip install "pytask-sync[django]"``).

Add ``"pytask_sync.django"`` to ``INSTALLED_APPS``: ``manage.py migrate`` installs and upgrades
the engine (the app's migrations run the package's alembic revisions on Django's connection, one
version record shared with ``pytask-sync migrate``), so test databases of ``manage.py test`` and
pytest-django have it too. ``pytask_sync.django.models`` are unmanaged models of the public tables
(an app of the project may have foreign keys to them); ``pytask_sync.django.admin`` (opt-in)
registers them in the admin. Sync through :class:`pytask_sync.TaskSync` on
``django.db.connection``; :func:`engine_errors` turns the engine's refusals of ORM writes into the
package's exceptions.
"""

from pytask_sync.errors import engine_errors

__all__ = ["engine_errors"]
