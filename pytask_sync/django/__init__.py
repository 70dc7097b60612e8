"""pytask_sync for Django: unmanaged models of the ``task_sync`` schema (``pip install "pytask-sync[django]"``).

Add ``"pytask_sync.django"`` to ``INSTALLED_APPS`` and use ``pytask_sync.django.models``
(``WorkOrder.objects...``, ``Task.objects...``) with no ``inspectdb``; the schema itself is made by
``pytask-sync migrate``, never by Django's migrations (every model is unmanaged). Sync through
:class:`pytask_sync.TaskSync` on ``django.db.connection``.
"""
