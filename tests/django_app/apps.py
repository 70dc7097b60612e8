from __future__ import annotations

from django.apps import AppConfig


class InspectedConfig(AppConfig):
    name = "tests.django_app"
    label = "inspected"
    default_auto_field = "django.db.models.BigAutoField"
