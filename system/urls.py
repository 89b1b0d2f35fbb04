"""The system API's route: /api/system/config."""

from django.urls import path

from . import api

urlpatterns = [
    path("api/system/config", api.SystemConfigApi.as_view(), name="system-config"),
]
