"""One object per registered admin model, built the way the apps build them.

`build(model, n)` is the whole interface. Known models have a builder below (through the
apps' services or factories where that is how real rows arise); a model someone registers
later falls back to `generic_build`, which fills required fields by type, so a new admin is
rendered by the console tests without anyone editing this file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable
from decimal import Decimal

from django.db import models
from django.utils import timezone

from tests.factories import DeviceFactory, UserFactory

T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
_seq = itertools.count(1)
FLAT_PLAN = {
    "name": "Flat",
    "rate_type": "flat",
    "currency": "USD",
    "rate_config": {"flat_rate": 0.15},
}


SINGLETONS = {"system.SystemConfig", "integrations.MqttSettings"}


def model(label: str) -> type[models.Model]:
    from django.apps import apps

    return apps.get_model(label)


def device_with_mac(mac: str):
    from devices.models import Device

    return Device.objects.get(mac=mac, parent__isnull=True)


def _n() -> int:
    return next(_seq)


def _user():
    return UserFactory(username=f"console{_n()}")


def _device():
    return DeviceFactory()


def strip_with_outlets(outlets: int = 2):
    strip = DeviceFactory(model="HS300", device_type="strip", alias=f"Strip {_n()}")
    for child in range(outlets):
        DeviceFactory(
            parent=strip,
            child_id=f"{child:02d}",
            device_id=f"{strip.device_id}_{child:02d}",
            mac=strip.mac,
            host=strip.host,
            alias=f"Outlet {child}",
            device_type="outlet",
        )
    return strip


def _device_row(i: int):
    return strip_with_outlets() if i == 0 else _device()


def _outstanding_token():
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    return OutstandingToken.objects.create(
        user=_user(), jti=uuid.uuid4().hex, token="x", expires_at=timezone.now() + dt.timedelta(1)
    )


def _blacklisted(i):
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    return BlacklistedToken.objects.create(token=_outstanding_token())


def _totp(i):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # Never for the admin running the tests: a confirmed device would make it verify.
    return TOTPDevice.objects.create(user=_user(), name=f"phone {i}", confirmed=True)


def _static(i):
    from django_otp.plugins.otp_static.models import StaticDevice

    device = StaticDevice.objects.create(user=_user(), name=f"backup codes {i}", confirmed=True)
    device.token_set.create(token=f"code{i:04d}")
    return device


def _interval(i):
    from django_celery_beat.models import IntervalSchedule

    return IntervalSchedule.objects.get_or_create(every=1000 + i, period="seconds")[0]


def _periodic(i):
    from django_celery_beat.models import PeriodicTask

    return PeriodicTask.objects.create(
        name=f"console task {_n()}", task="kasamonitor.tasks.ping", interval=_interval(i)
    )


def _crontab(i):
    from django_celery_beat.models import CrontabSchedule

    return CrontabSchedule.objects.create(minute=str(i % 60), hour="3")


def _solar(i):
    from django_celery_beat.models import SolarSchedule

    return SolarSchedule.objects.create(event="sunset", latitude=Decimal(i), longitude=Decimal(10))


def _clocked(i):
    from django_celery_beat.models import ClockedSchedule

    return ClockedSchedule.objects.create(clocked_time=T0 + dt.timedelta(hours=i))


def _session(i):
    from accounts import sessions

    agent = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
    return sessions.session_start(_user(), ip="127.0.0.1", user_agent=agent).session


def _audit(i):
    from security.services import audit_record

    return audit_record(f"console.check{i}", actor=_user(), target_type="device", target_id=str(i))


def _reading(i):
    from devices.models import Reading

    return Reading.objects.create(
        device=_device(), timestamp=T0 + dt.timedelta(minutes=i), is_on=True, power_w=40.0,
        voltage=230.0, current=0.17, energy_total_kwh=1.0 + i, energy_delta_kwh=0.01,
    )  # fmt: skip


def _hourly(i):
    from tests.devices.factories import hourly

    return hourly(_device(), T0 + dt.timedelta(hours=i), 1)[0]


def _daily(i):
    from tests.devices.factories import daily

    return daily(_device(), (T0 + dt.timedelta(days=i)).date(), 1)[0]


def _outage(i):
    from devices.models import Outage

    return Outage.objects.create(
        device=_device(), started_at=T0 + dt.timedelta(hours=i), reason="unreachable"
    )


def _system_config(i):
    from system.models import SystemConfig

    return SystemConfig.load()  # a singleton: every "new" one is the same row


def _rate_plan(i):
    from billing.models import RatePlan
    from billing.selectors import load_plan
    from billing.services import fill_plan_fields

    row = RatePlan(effective_from=T0 + dt.timedelta(days=i), created_by=_user())
    fill_plan_fields(row, load_plan({**FLAT_PLAN, "name": f"Flat {i}"}))
    row.save()
    return row


def _hourly_cost(i):
    from billing.models import HourlyCost

    return HourlyCost.objects.create(
        device=_device(), hour=T0 + dt.timedelta(hours=i), kwh=0.1, cost=Decimal("0.015")
    )


def _reprice(i):
    from billing.models import RepriceRequest

    return RepriceRequest.objects.create(start=T0 + dt.timedelta(hours=i), reason="console test")


def _export_job(i):
    from exports.models import ExportJob

    return ExportJob.objects.create(
        user=_user(), export_type="device_data", format="csv", status="failed", error="boom"
    )


def _export_schedule(i):
    from exports.models import ExportSchedule

    return ExportSchedule.objects.create(
        user=_user(), name=f"Monthly {i}", schedule="0 9 1 * *",
        export_config={"export_type": "device_data", "format": "csv"},
    )  # fmt: skip


def _backup_schedule(i):
    from backups import schedules
    from backups.models import BackupSchedule

    return schedules.schedule_save(BackupSchedule(name=f"Nightly {i}", cron=f"{i % 60} 3 * * *"))


def _backup_job(i):
    from backups.models import BackupJob

    return BackupJob.objects.create(type="manual", status="completed", created_by=_user())


def _monitoring(name: str) -> Callable[[int], models.Model]:
    def build(i):
        from tests.monitoring import factories

        if name == "AlertFactory":
            return factories.AlertFactory(device=_device(), rule=factories.RuleFactory())
        if name == "RuleFactory":
            return factories.RuleFactory(device=_device())
        return getattr(factories, name)()

    return build


BUILDERS: dict[str, Callable[[int], models.Model]] = {
    "auth.Group": lambda i: _group(i),
    "token_blacklist.OutstandingToken": lambda i: _outstanding_token(),
    "token_blacklist.BlacklistedToken": _blacklisted,
    "otp_totp.TOTPDevice": _totp,
    "otp_static.StaticDevice": _static,
    "django_celery_beat.PeriodicTask": _periodic,
    "django_celery_beat.IntervalSchedule": _interval,
    "django_celery_beat.CrontabSchedule": _crontab,
    "django_celery_beat.SolarSchedule": _solar,
    "django_celery_beat.ClockedSchedule": _clocked,
    "accounts.User": lambda i: _user(),
    "accounts.LoginSession": _session,
    "security.AuditLog": _audit,
    "devices.Device": _device_row,
    "devices.Reading": _reading,
    "devices.HourlyRollup": _hourly,
    "devices.DailyRollup": _daily,
    "devices.Outage": _outage,
    "system.SystemConfig": _system_config,
    "billing.RatePlan": _rate_plan,
    "billing.HourlyCost": _hourly_cost,
    "billing.RepriceRequest": _reprice,
    "exports.ExportJob": _export_job,
    "exports.ExportSchedule": _export_schedule,
    "backups.BackupSchedule": _backup_schedule,
    "backups.BackupJob": _backup_job,
    "monitoring.Alert": _monitoring("AlertFactory"),
    "monitoring.AlertRule": _monitoring("RuleFactory"),
    "monitoring.NotificationChannel": _monitoring("ChannelFactory"),
    "monitoring.Camera": _monitoring("CameraFactory"),
    "monitoring.NetworkHost": _monitoring("HostFactory"),
    "integrations.MqttSettings": lambda i: _mqtt_settings(),
}


def _mqtt_settings():
    from integrations.models import MqttSettings

    row = MqttSettings.load()  # a singleton, with a device excluded from control
    row.control_excluded.add(_device())
    return row


def _group(i):
    from django.contrib.auth.models import Group

    return Group.objects.create(name=f"console group {_n()}")


def build(model: type[models.Model], count: int = 1) -> list[models.Model]:
    """Create `count` objects of `model` (the same one again for singletons) and return them."""
    builder = BUILDERS.get(model._meta.label, lambda i: generic_build(model))
    start = model.objects.count()
    return [builder(start + i) for i in range(count)]


# A fallback for models registered after this file was written.
# ------------------------------------------------------------------------------
def generic_build(model: type[models.Model]) -> models.Model:
    values = {}
    for field in model._meta.concrete_fields:
        if _optional(field):
            continue
        values[field.name] = _value(field)
    return model.objects.create(**values)


def _optional(field) -> bool:
    return (
        field.primary_key
        or field.has_default()
        or field.null
        or (field.blank and not field.is_relation)
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
    )


def _value(field):
    if field.is_relation:
        return build(field.related_model)[0]
    if field.choices:
        return field.choices[0][0]
    n = _n()
    by_type = {
        models.EmailField: lambda: f"console{n}@example.com",
        models.GenericIPAddressField: lambda: "127.0.0.1",
        models.URLField: lambda: "http://127.0.0.1/",
        models.DateTimeField: lambda: T0 + dt.timedelta(seconds=n),
        models.DateField: lambda: (T0 + dt.timedelta(days=n)).date(),
        models.BooleanField: lambda: False,
        models.DecimalField: lambda: Decimal(n % 10),
        models.FloatField: lambda: float(n),
        models.IntegerField: lambda: n,
        models.JSONField: lambda: {},
        models.UUIDField: uuid.uuid4,
    }
    for kind, make in by_type.items():
        if isinstance(field, kind):
            return make()
    return f"console {n}"[: field.max_length or None]
