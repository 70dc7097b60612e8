"""Settings of the sample project: a shop whose deliveries point at pytask_sync's work orders.

The database comes from the environment, never from a file:

``DATABASE_URL``
    The application's connection (libpq string or ``postgresql://`` URL). In the two-role recipe
    its user is a login role in ``task_sync_writer``.
``OWNER_DATABASE_URL`` (optional)
    The owner role's connection to the same database: ``manage.py migrate`` and the test runners
    create and migrate databases as this role (``DJANGO_AS_OWNER=1 manage.py migrate``). Unset:
    one role does everything (see docs/django.md, "Roles", for what that gives up).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "sample-project-not-a-secret")
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
USE_TZ = True
ROOT_URLCONF = "config.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "pytask_sync.django",  # the engine: its models, and its schema installed by `manage.py migrate`
    "shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def _database(url: str) -> dict[str, Any]:
    params = conninfo_to_dict(url.replace("postgresql+psycopg://", "postgresql://", 1))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": params.get("dbname", ""),
        "USER": params.get("user", ""),
        "PASSWORD": params.get("password", ""),
        "HOST": params.get("host", ""),
        "PORT": str(params.get("port", "")),
    }


_app = _database(os.environ.get("DATABASE_URL", "postgresql:///shop"))
_owner = _database(os.environ["OWNER_DATABASE_URL"]) if os.environ.get("OWNER_DATABASE_URL") else None

#: The role that owns the schema: runs `migrate` and makes the test databases (pytask_sync.django.testing).
TASK_SYNC_OWNER = {"USER": _owner["USER"], "PASSWORD": _owner["PASSWORD"]} if _owner else None

#: The application's role, granted the project's own tables after each migrate (shop/apps.py).
SHOP_APPLICATION_ROLE = _app["USER"] if _owner else None

DATABASES = {"default": _owner if (_owner and os.environ.get("DJANGO_AS_OWNER")) else _app}

#: Test databases made and migrated as the owner; the tests run as the application's role.
TEST_RUNNER = "pytask_sync.django.testing.OwnerTestRunner"
