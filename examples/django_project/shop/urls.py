from django.urls import path

from . import views

urlpatterns = [
    path("work-orders/<int:work_order_id>/plan", views.preview, name="preview"),
    path("work-orders/<int:work_order_id>/execute", views.execute, name="execute"),
]
