"""The pages' routes."""

from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("setup", views.setup, name="setup"),
    path("login", views.login, name="login"),
    path("forgot-password", views.forgot_password, name="forgot-password"),
    path("reset-password", views.reset_password, name="reset-password"),
    path("devices/<int:pk>", views.device_detail, name="device"),
    path("costs", views.costs, name="costs"),
    path("rates", views.rates, name="rates"),
    path("exports", views.exports, name="exports"),
    path("backups", views.backups, name="backups"),
    path("alerts", views.alerts, name="alerts"),
    path("account", views.account, name="account"),
    path("users", views.users, name="users"),
]
