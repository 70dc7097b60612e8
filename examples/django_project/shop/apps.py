from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ShopConfig(AppConfig):
    name = "shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(grant_to_the_application, sender=self)


def grant_to_the_application(using: str, **kwargs: Any) -> None:
    """Two roles: the owner made the project's and Django's tables in schema public; the
    application's role may use them. (The engine's tables are granted by the engine itself, to
    task_sync_writer.)"""
    from django.conf import settings
    from django.db import connections

    role = getattr(settings, "SHOP_APPLICATION_ROLE", None)
    if not role:
        return
    with connections[using].cursor() as cur:
        cur.execute(
            # TRUNCATE: TransactionTestCase empties the project's tables with it (never the engine's)
            f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO "{role}";'
            f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'
        )
