# the engine's models in the admin (opt-in), with its columns read-only
import pytask_sync.django.admin  # noqa: F401
from django.contrib import admin

from .models import Delivery

admin.site.register(Delivery)
