"""Preview a work order's sync, and execute exactly the plan that was previewed."""

from __future__ import annotations

import json

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_POST
from pytask_sync import StalePlan, TaskSync, WorkOrderNotFound


@require_GET
def preview(request: HttpRequest, work_order_id: int) -> JsonResponse:
    try:
        plan = TaskSync(connection).preview(work_order_id)
    except WorkOrderNotFound as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    return JsonResponse(
        {
            "plan_hash": plan.plan_hash,
            "summary": {"add": plan.summary.add, "remove": plan.summary.remove, "update": plan.summary.update},
            "items": [{"action": i.action, "task_type": i.task_type} for i in plan.items],
        }
    )


@require_POST
def execute(request: HttpRequest, work_order_id: int) -> JsonResponse:
    plan_hash = json.loads(request.body or b"{}").get("plan_hash")
    with transaction.atomic():
        try:
            # the engine's error aborts the transaction: a savepoint of its own keeps the outer one usable
            with transaction.atomic():
                result = TaskSync(connection).execute(work_order_id, confirm=True, expected_plan_hash=plan_hash)
        except StalePlan:
            fresh = TaskSync(connection).preview(work_order_id)  # the outer transaction still works
            return JsonResponse({"error": "stale plan", "plan_hash": fresh.plan_hash}, status=409)
    return JsonResponse({"added": result.added, "removed": result.removed, "sync_run_id": result.sync_run_id})
