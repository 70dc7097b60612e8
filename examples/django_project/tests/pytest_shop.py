"""The same project under pytest-django: ``django_db`` tests get the engine in their test database."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from pytask_sync import TaskSync
from pytask_sync.django import models as ts
from shop.tests import work_order


@pytest.mark.django_db
def test_preview_and_execute(client) -> None:  # type: ignore[no-untyped-def]
    wo = work_order("PY-1")
    plan = client.get(reverse("preview", args=[wo.id])).json()
    assert plan["summary"]["add"] == 2
    done = client.post(reverse("execute", args=[wo.id]), {"plan_hash": plan["plan_hash"]}, "application/json")
    assert done.json()["added"] == 2


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction() -> None:
    wo = work_order("PY-2")
    assert TaskSync(connection).execute(wo.id, confirm=True).added == 2
    ts.Task.objects.filter(work_order=wo).delete()
    ts.WorkOrder.objects.filter(id=wo.id).delete()
