"""The pages' routes."""

from django.urls import path

from . import account_views, actions, auth_views, views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("favicon.ico", views.favicon, name="favicon"),
    # signing in and out (the forms post to the same address they are shown at)
    path("setup", auth_views.setup, name="setup"),
    path("login", auth_views.login, name="login"),
    path("login/code", auth_views.login_code, name="login-code"),
    path("logout", auth_views.logout, name="logout"),
    path("forgot-password", auth_views.forgot_password, name="forgot-password"),
    path("reset-password", auth_views.reset_password, name="reset-password"),
    # pages
    path("devices/<int:pk>", views.device_detail, name="device"),
    path("devices/<int:pk>/credentials", views.device_credentials, name="device-credentials"),
    path("costs", views.costs, name="costs"),
    path("rates", views.rates, name="rates"),
    path("exports", views.exports, name="exports"),
    path("backups", views.backups, name="backups"),
    path("alerts", views.alerts, name="alerts"),
    path("account", views.account, name="account"),
    path("users", views.users, name="users"),
    # what the pages' forms post to (no JavaScript needed)
    path("devices/add", actions.device_add, name="device-add"),
    path("devices/discover", actions.device_discover, name="device-discover"),
    path("devices/<int:pk>/power", actions.device_power, name="device-power"),
    path("devices/<int:pk>/appliance", actions.device_appliance, name="device-appliance"),
    path("rates/save", actions.rates_save, name="rates-save"),
    path("rates/grid-intensity", actions.grid_intensity_save, name="grid-intensity-save"),
    path("exports/create", actions.export_create, name="export-create"),
    path("exports/<str:export_id>/retry", actions.export_retry, name="export-retry"),
    path("exports/<str:export_id>/delete", actions.export_delete, name="export-delete"),
    path("backups/create", actions.backup_create, name="backup-create"),
    path("backups/restore", actions.backup_restore, name="backup-restore"),
    path("backups/<str:filename>/delete", actions.backup_delete, name="backup-delete"),
    path("backups/schedules", actions.backup_schedule_add, name="backup-schedule-add"),
    path("backups/schedules/<int:pk>", actions.backup_schedule_change, name="backup-schedule"),
    path(
        "backups/schedules/<int:pk>/delete",
        actions.backup_schedule_delete,
        name="backup-schedule-delete",
    ),
    path("alerts/<int:pk>/acknowledge", actions.alert_acknowledge, name="alert-ack"),
    path("alerts/acknowledge-all", actions.alert_acknowledge_all, name="alert-ack-all"),
    path("alerts/<int:pk>/delete", actions.alert_delete, name="alert-delete"),
    path("users/add", actions.user_add, name="user-add"),
    path("users/<int:pk>", actions.user_change, name="user-change"),
    path("users/<int:pk>/delete", actions.user_remove, name="user-delete"),
    path("account/password", auth_views.change_password, name="password-change"),
    path("account/2fa/setup", account_views.two_factor_setup, name="2fa-setup"),
    path("account/2fa/verify", account_views.two_factor_verify, name="2fa-verify"),
    path("account/2fa/disable", account_views.two_factor_disable, name="2fa-disable"),
    path("account/email/send", account_views.email_send_code, name="email-send"),
    path("account/email/verify", account_views.email_verify, name="email-verify"),
    path("account/sessions/<str:session_id>/end", account_views.session_end, name="session-end"),
    path(
        "account/sessions/end-others", account_views.sessions_end_others, name="sessions-end-others"
    ),
]
