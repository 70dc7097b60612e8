"""Django's ORM, unchanged, as a login role in ``task_sync_writer``.

Two sets of models: ``tests/django_app`` (as ``inspectdb`` gives them, every column with a Python
default, so ``save()`` writes whole rows) and the app ``pytask_sync.django`` (what a service adds
to ``INSTALLED_APPS``). Both create, save and delete work orders, route rows, links, lines, manual
tasks and drafts; the engine's behaviour holds (an edited draft is kept as a conflict, a deleted
draft is dismissed); each forged value of an engine column is refused (TSP01) with nothing
changed; and ``TaskSync`` runs on Django's connection inside and outside ``transaction.atomic()``
with Django's own loaders (jsonb as text) in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django
import psycopg
import pytest
from django.conf import settings
from psycopg.conninfo import conninfo_to_dict

from pytask_sync import StalePlan, TaskSync
from tests.builders import Builder

if not settings.configured:
    settings.configure(
        INSTALLED_APPS=["pytask_sync.django", "tests.django_app"],
        DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "postgres"}},
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()

from django.core import checks
from django.db import DatabaseError, connection, connections, transaction

from pytask_sync.django import models as ts
from tests.django_app import models as inspected


@pytest.fixture
def as_writer(conn: psycopg.Connection[Any], dsn: str, login: dict[str, str]) -> Iterator[Builder]:
    """Django's default connection goes to this test's database as the writer login role."""
    params = conninfo_to_dict(dsn)
    db = connections["default"]
    db.close()
    db.settings_dict.update(
        NAME=params["dbname"],
        USER=login["task_sync_writer"],
        HOST=params.get("host") or "",
        PORT=str(params.get("port") or ""),
        PASSWORD="",
    )
    try:
        yield Builder(conn)
    finally:
        db.close()


def _refused_in_django(b: Builder, action: Any, column: str) -> None:
    """``action`` fails with TSP01 naming ``column``, and nothing in the schema changed."""
    before = b.snapshot()
    with pytest.raises(DatabaseError) as info:
        action()
    cause = info.value.__cause__
    assert isinstance(cause, psycopg.Error) and cause.sqlstate == "TSP01", repr(cause)
    assert f"column {column} of" in str(cause)
    assert b.snapshot() == before


def test_the_models_pass_django_checks() -> None:
    problems = [m for m in checks.run_checks() if m.level >= checks.WARNING]
    assert problems == []


def test_inspectdb_models_create_save_and_delete_as_the_writer(as_writer: Builder) -> None:
    b = as_writer
    prt, glue = inspected.Process.objects.get(code="PRT"), inspected.Process.objects.get(code="GLUE")
    art = b.catalog("artwork", "ART-DJ", "Django front")
    product = b.catalog("product", "SKU-DJ", "Django box")

    wo = inspected.WorkOrder.objects.create(order_number="DJ-1", production_quantity=100)
    assert wo.id > 0 and wo.synced_version == 0
    wo.production_quantity = 120
    wo.save()  # every column, synced_version and created_at with the values read
    route = inspected.WorkOrderProcess.objects.create(work_order=wo, process=prt, sequence=10)
    inspected.WorkOrderProcess.objects.create(work_order=wo, process=glue, sequence=20)
    route.sequence = 15
    route.save()
    inspected.WorkOrderArtwork.objects.create(work_order=wo, artwork_id=art)
    line = inspected.WorkOrderProduct.objects.create(work_order=wo, product_id=product, quantity=5)
    line.quantity = 6
    line.save()
    manual = inspected.Task.objects.create(work_order=wo, task_type="inspection", work_content="check")
    assert manual.origin == "manual"
    manual.quantity_completed = 1
    manual.save()

    result = TaskSync(connection).execute(wo.id, confirm=True)
    assert result.added == 2  # printing of the artwork, the default task of GLUE
    printing = inspected.Task.objects.get(work_order=wo, task_type="printing")
    printing.work_content = "planner's words"
    printing.save()  # a whole row: the baselines and the key with their values
    general = inspected.Task.objects.get(work_order=wo, task_type="general")
    general.delete()
    wo = inspected.WorkOrder.objects.get(id=wo.id)
    wo.order_number = "DJ-1b"
    wo.save()
    plan = TaskSync(connection).preview(wo.id)
    by_type = {i.task_type: i.action for i in plan.items}
    assert by_type == {"printing": "conflict", "general": "dismissed"}
    assert TaskSync(connection).execute(wo.id, confirm=True, expected_plan_hash=plan.plan_hash).conflicts == 1
    printing.refresh_from_db()
    assert printing.work_content == "planner's words"

    manual.delete()
    line.delete()
    inspected.WorkOrderArtwork.objects.filter(work_order=wo).delete()
    other = inspected.WorkOrder.objects.create(order_number="DJ-2")
    other.delete()
    assert b.versions(wo.id)[0] > b.versions(wo.id)[1]  # the deletes marked it


def test_forged_values_through_the_orm_are_refused(as_writer: Builder) -> None:
    b = as_writer
    wo_id = b.realistic()
    TaskSync(connection).execute(wo_id, confirm=True)
    wo = inspected.WorkOrder.objects.get(id=wo_id)
    draft = inspected.Task.objects.filter(work_order_id=wo_id, task_type="printing").first()
    assert draft is not None

    def save(obj: Any, **changes: Any) -> Any:
        def action() -> None:
            fresh = type(obj).objects.get(pk=obj.pk)
            for k, v in changes.items():
                setattr(fresh, k, v)
            fresh.save()

        return action

    _refused_in_django(b, save(wo, synced_version=wo.synced_version + 1), "synced_version")
    _refused_in_django(b, save(wo, created_at=wo.created_at.replace(year=2000)), "created_at")
    _refused_in_django(b, save(draft, generated_work_content="moved"), "generated_work_content")
    _refused_in_django(b, save(draft, generated_production_quantity=1), "generated_production_quantity")
    _refused_in_django(b, save(draft, origin="manual"), "origin")
    _refused_in_django(b, save(draft, task_type="other"), "task_type")
    _refused_in_django(b, save(draft, source_id=draft.source_id + 1000000), "source_id")
    _refused_in_django(
        b, lambda: inspected.WorkOrder.objects.create(order_number="DJ-X", synced_version=5), "synced_version"
    )
    _refused_in_django(
        b,
        lambda: inspected.Task.objects.create(
            work_order_id=wo_id,
            task_type="x",
            origin="generated",
            source_kind="work_order",
            source_id=wo_id,
            generated_work_content="x",
            generated_production_quantity=1,
        ),
        "origin",
    )
    _refused_in_django(b, lambda: inspected.Task.objects.create(id=555555, work_order_id=wo_id, task_type="x"), "id")


def test_the_app_models_write_only_what_is_the_writers(as_writer: Builder) -> None:
    b = as_writer
    wo = ts.WorkOrder.objects.create(order_number="APP-1", production_quantity=10)
    wo.refresh_from_db()
    assert (wo.synced_version, wo.created_at is not None) == (0, True)
    ts.WorkOrderProcess.objects.create(work_order=wo, process=ts.Process.objects.get(code="DIE"), sequence=10)
    die = ts.Die.objects.get(id=b.catalog("die", "DIE-APP", "App die"))
    ts.WorkOrderDie.objects.create(work_order=wo, die=die)
    stale = ts.WorkOrder.objects.get(id=wo.id)  # read before the sync
    synced = TaskSync(connection).execute(wo.id, confirm=True)
    assert (synced.added, synced.synced_version > 0) == (1, True)
    stale.production_quantity = 11
    stale.save()  # the engine's columns are not written: a stale synced_version is no harm
    wo.refresh_from_db()
    assert (wo.production_quantity, wo.synced_version) == (11, synced.synced_version)
    task = ts.Task.objects.get(work_order=wo)
    assert (task.origin, task.work_order_process.process.code) == ("generated", "DIE")
    task.status = "pending"
    task.save()
    assert ts.Task.objects.get(id=task.id).status == "pending"
    link = ts.WorkOrderDie.objects.get(work_order=wo, die=die)
    link.save()  # nothing of a link may change: no statement
    material = ts.Material.objects.get(id=b.catalog("material", "BOARD-APP"))
    line = ts.WorkOrderMaterial.objects.create(work_order=wo, material=material, quantity=3, need_cutting=True)
    line.quantity = 4
    line.save()
    ts.Task.objects.create(work_order=wo, task_type="note", work_content="by hand")
    assert list(wo.route.values_list("process__code", flat=True)) == ["DIE"]
    assert [r.via for r in wo.sync_runs.all()] == ["execute"]
    # marked since the sync: the quantity, the line added, the line changed (a task made formal marks nothing)
    assert ts.WorkOrderMark.objects.filter(work_order=wo).count() == 3
    line.delete()


def test_task_sync_on_djangos_connection_in_and_out_of_atomic(as_writer: Builder) -> None:
    b = as_writer
    wo = b.realistic()
    ts_ = TaskSync(connection)
    plan = ts_.preview(wo)  # Django's connection loads jsonb as text: ours are loaded per cursor
    assert plan.summary.add == 14
    with transaction.atomic():
        result = ts_.execute(wo, confirm=True, expected_plan_hash=plan.plan_hash)
        assert result.added == 14
        assert connection.in_atomic_block
        transaction.set_rollback(True)  # the caller's transaction: undone with it
    assert ts_.check_sync_needed(wo)
    assert TaskSync(connection.connection).preview(wo).summary.add == 14  # its psycopg connection too
    with transaction.atomic():
        ts_.execute(wo, confirm=True)
    assert not ts_.check_sync_needed(wo)
    with pytest.raises(StalePlan), transaction.atomic():
        ts_.execute(wo, confirm=True, expected_plan_hash="0" * 64)
    assert [r.work_order_id for r in ts_.pending()] == []
