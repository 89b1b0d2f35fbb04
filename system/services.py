"""Writes of the system configuration: the one row of run-time settings."""

from __future__ import annotations

from django.db import transaction

from security.services import audit_record

from . import selectors
from .errors import HttpsNeededToRequireIt
from .models import SystemConfig
from .signals import polling_interval_changed


def system_config_update(*, data: dict, actor=None, request=None) -> SystemConfig:
    """Change the run-time configuration; a new polling_interval reschedules the poll job."""
    config = SystemConfig.load()
    https_switch_check(config, data, request)
    old_interval = config.polling_interval
    with transaction.atomic():
        for name, value in data.items():
            setattr(config, name, value)
        config.save()
        if config.polling_interval != old_interval:
            polling_interval_changed.send(SystemConfig, seconds=config.polling_interval)
        audit_record(
            "system.config.update", actor=actor, request=request, target=config, details=data
        )
    selectors.https_required_reset()
    return config


def https_switch_check(config: SystemConfig, data: dict, request) -> None:
    """require_https may only be switched on over HTTPS, or nobody could reach the app after
    it redirected every plain request to an HTTPS that is not served."""
    switching_on = data.get("require_https") and not config.require_https
    if switching_on and request is not None and not request.is_secure():
        raise HttpsNeededToRequireIt()
