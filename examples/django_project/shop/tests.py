"""The sample project's tests, as Django runs them (``manage.py test``) and as pytest-django does.

The test database is made by Django's migrations, the engine included (``pytask_sync.django``'s
migrations run its alembic revisions); with ``OWNER_DATABASE_URL`` set it is made by the owner and
the tests run as the application's role, a member of ``task_sync_writer``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.test import TestCase, TransactionTestCase
from django.urls import reverse
from pytask_sync import EngineOwnedColumn, ProcessHasFormalTasks, StalePlan, TaskSync
from pytask_sync.django import engine_errors
from pytask_sync.django import models as ts

from shop.models import Delivery

TWO_ROLES = bool(settings.TASK_SYNC_OWNER)


def work_order(number: str = "JOB-1") -> ts.WorkOrder:
    """A work order routed through GLUE and BOX (the default rule: one general task each)."""
    wo = ts.WorkOrder.objects.create(order_number=number, production_quantity=500)
    for seq, code in ((10, "GLUE"), (20, "BOX")):
        ts.WorkOrderProcess.objects.create(work_order=wo, process=ts.Process.objects.get(code=code), sequence=seq)
    return wo


class EngineInTestCase(TestCase):
    def setUp(self) -> None:
        self.wo = work_order()

    def test_task_sync_on_djangos_connection(self) -> None:
        plan = TaskSync(connection).preview(self.wo.id)
        assert plan.summary.add == 2
        result = TaskSync(connection).execute(self.wo.id, confirm=True, expected_plan_hash=plan.plan_hash)
        assert result.added == 2
        assert sorted(t.work_content for t in self.wo.tasks.all()) == ["Box making: JOB-1", "Gluing: JOB-1"]

    def test_a_delivery_points_at_a_work_order(self) -> None:
        delivery = Delivery.objects.create(work_order=self.wo, address="Harbour St 1")
        assert list(self.wo.deliveries.all()) == [delivery]
        assert str(delivery) == "JOB-1 to Harbour St 1"
        with self.assertRaises(IntegrityError), transaction.atomic():  # the foreign key is real
            Delivery.objects.create(work_order_id=987654, address="nowhere")
            connection.check_constraints()

    def test_the_views_preview_and_execute_what_was_previewed(self) -> None:
        plan = self.client.get(reverse("preview", args=[self.wo.id])).json()
        assert plan["summary"] == {"add": 2, "remove": 0, "update": 0}
        done = self.client.post(
            reverse("execute", args=[self.wo.id]), {"plan_hash": plan["plan_hash"]}, content_type="application/json"
        )
        assert done.status_code == 200 and done.json()["added"] == 2
        assert self.client.get(reverse("preview", args=[999999])).status_code == 404

    def test_a_stale_plan_is_caught_in_a_nested_atomic(self) -> None:
        old = self.client.get(reverse("preview", args=[self.wo.id])).json()["plan_hash"]
        ts.WorkOrderProcess.objects.create(
            work_order=self.wo, process=ts.Process.objects.get(code="TRIM"), sequence=30
        )  # the plan moved on
        stale = self.client.post(reverse("execute", args=[self.wo.id]), {"plan_hash": old}, "application/json")
        assert stale.status_code == 409
        assert stale.json()["plan_hash"] != old  # read in the same transaction, after the error
        # the same pattern in a test's own transaction: the savepoint keeps it usable
        with self.assertRaises(StalePlan), transaction.atomic():
            TaskSync(connection).execute(self.wo.id, confirm=True, expected_plan_hash=old)
        assert ts.Task.objects.filter(work_order=self.wo).count() == 0

    def test_engine_errors_gives_the_engines_exceptions_from_orm_writes(self) -> None:
        TaskSync(connection).execute(self.wo.id, confirm=True)
        glue = self.wo.route.get(process__code="GLUE")
        task = glue.tasks.get()
        task.status = "pending"  # formal now
        task.save()
        with self.assertRaises(ProcessHasFormalTasks) as caught, engine_errors(), transaction.atomic():
            glue.delete()
        assert caught.exception.__cause__.sqlstate == "TSC04"
        assert self.wo.route.count() == 2


class EngineInTransactionTestCase(TransactionTestCase):
    def test_task_sync_outside_atomic(self) -> None:
        wo = work_order("JOB-T")
        assert TaskSync(connection).check_sync_needed(wo.id)
        assert TaskSync(connection).execute(wo.id, confirm=True).added == 2
        assert not TaskSync(connection).check_sync_needed(wo.id)
        # the engine's tables are not Django's to flush: the next test of this class meets this one's rows
        ts.Task.objects.filter(work_order=wo).delete()
        ts.WorkOrder.objects.filter(id=wo.id).delete()


class TwoRoles(TestCase):
    def test_the_application_runs_as_a_writer(self) -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_has_role(current_user, 'task_sync_writer', 'MEMBER'), current_user")
            member, user = cur.fetchone()
        if not TWO_ROLES:
            self.skipTest("one role for everything (OWNER_DATABASE_URL unset)")
        assert member and user == settings.DATABASES["default"]["USER"]

    def test_the_books_are_not_the_applications(self) -> None:
        if not TWO_ROLES:
            self.skipTest("one role for everything: the engine's books are forgeable by the application")
        wo = work_order("JOB-R")
        with self.assertRaises(EngineOwnedColumn) as caught, engine_errors(), transaction.atomic():
            ts.WorkOrder.objects.filter(id=wo.id).update(synced_version=99)
        assert caught.exception.__cause__.sqlstate == "TSP01"


class Admin(TestCase):
    def setUp(self) -> None:
        self.client.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw"))
        self.wo = work_order("JOB-A")
        TaskSync(connection).execute(self.wo.id, confirm=True)
        self.task = ts.Task.objects.filter(work_order=self.wo).order_by("id").first()

    def test_the_engines_columns_are_read_only_and_no_edit_is_dropped(self) -> None:
        url = reverse("admin:task_sync_task_change", args=[self.task.id])
        form = self.client.get(url)
        assert form.status_code == 200
        fields = set(form.context["adminform"].form.fields)
        assert fields == {"work_content", "production_quantity", "quantity_completed", "status"}
        posted = self.client.post(
            url,
            {
                "work_content": "glue with care",
                "production_quantity": 450,
                "quantity_completed": 10,
                "status": "draft",
                "task_type": "forged",  # not a field of the form: ignored, never offered as editable
            },
        )
        assert posted.status_code == 302, posted.content
        self.task.refresh_from_db()
        assert (self.task.work_content, self.task.production_quantity, self.task.task_type) == (
            "glue with care",
            450,
            "general",
        )
        # every field the form offers is saved
        assert self.task.quantity_completed == 10

    def test_work_order_pages_and_the_books_are_readable(self) -> None:
        for url in (
            reverse("admin:task_sync_workorder_change", args=[self.wo.id]),
            reverse("admin:task_sync_task_changelist"),
            reverse("admin:task_sync_syncrun_changelist"),
            reverse("admin:task_sync_workorderprocess_changelist"),
        ):
            assert self.client.get(url).status_code == 200, url
        run = ts.SyncRun.objects.get(work_order=self.wo)
        page = self.client.get(reverse("admin:task_sync_syncrun_change", args=[run.id]))
        assert page.status_code == 200 and not page.context["has_change_permission"]

    def test_every_model_reads_as_words(self) -> None:
        from django.apps import apps

        for model in apps.get_app_config("task_sync").get_models():
            row = model.objects.first()
            if row is not None:
                assert "object (" not in str(row), (model.__name__, str(row))
