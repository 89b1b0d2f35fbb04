"""Rule evaluation: for each enabled rule and each subject, open or resolve its alert."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from devices.selectors import appliance_runs as runs

from . import conditions, conf, energy
from .alerts import alert_open, alert_resolve
from .models import AlertRule, Camera, NetworkHost, Reachability

logger = logging.getLogger(__name__)
Kind = AlertRule.Kind

DEVICE_KINDS = {Kind.DEVICE_OFFLINE}
POWER_KINDS = {Kind.POWER_ABOVE, Kind.APPLIANCE_FINISHED, Kind.STANDBY_LOAD}
BUDGET_KINDS = {Kind.ENERGY_BUDGET, Kind.COST_BUDGET}


@dataclass
class Verdict:
    """True opens the alert, False resolves it, None leaves things as they are."""

    state: bool | None
    message: str = ""
    details: dict = field(default_factory=dict)


@dataclass
class Context:
    now: datetime
    samples: dict = field(default_factory=dict)


def evaluate(*, kinds: Iterable[str] | None = None, device_ids=None, now=None) -> dict:
    """Evaluate enabled rules (of `kinds`; devices limited to device_ids); return counts."""
    ctx = Context(now=now or timezone.now())
    rules = AlertRule.objects.filter(enabled=True).select_related("device", "camera", "host")
    if kinds is not None:
        rules = rules.filter(kind__in=list(kinds))
    rules = list(rules)
    _load_samples(ctx, rules, device_ids)
    counts = {"opened": 0, "resolved": 0}
    for rule in rules:
        for subject in subjects(rule, device_ids):
            _apply(rule, subject, EVALUATORS[rule.kind](rule, subject, ctx), counts)
    return counts


def _apply(rule: AlertRule, subject, verdict: Verdict, counts: dict) -> None:
    if verdict.state is True and alert_open(rule, subject, verdict.message, verdict.details):
        counts["opened"] += 1
    elif verdict.state is False:
        counts["resolved"] += alert_resolve(rule, subject, resolution=verdict.message)


def subjects(rule: AlertRule, device_ids=None) -> list:
    """Return what a rule watches: its own target, or everything of that kind."""
    if rule.kind in BUDGET_KINDS:
        return [rule.device]  # None: the household total
    if rule.kind == Kind.CAMERA_UNREACHABLE:
        return [rule.camera] if rule.camera else list(Camera.objects.filter(enabled=True))
    if rule.kind == Kind.HOST_UNREACHABLE:
        return [rule.host] if rule.host else list(NetworkHost.objects.filter(enabled=True))
    if rule.device is not None:
        chosen = [rule.device]
    else:
        chosen = list(energy.monitored_devices(emeter_only=rule.kind in POWER_KINDS))
    if device_ids is not None:
        chosen = [device for device in chosen if device.pk in set(device_ids)]
    return chosen


def _window(rule: AlertRule) -> timedelta:
    minutes = (rule.duration_minutes or 0) + rule.settle_minutes
    return timedelta(minutes=minutes + conf.get("reading_margin_minutes"))


def _load_samples(ctx: Context, rules: list[AlertRule], device_ids) -> None:
    power_rules = [rule for rule in rules if rule.kind in POWER_KINDS]
    if not power_rules:
        return
    ids = {device.pk for rule in power_rules for device in subjects(rule, device_ids)}
    since = ctx.now - max(_window(rule) for rule in power_rules)
    ctx.samples = energy.power_samples(sorted(ids), since)


def _fresh_samples(rule, device, ctx: Context):
    """Return the device's samples in the rule's window, or None when they are too old."""
    since = ctx.now - _window(rule)
    samples = [s for s in ctx.samples.get(device.pk, []) if s[0] >= since]
    fresh = timedelta(minutes=conf.get("reading_margin_minutes"))
    return None if conditions.is_stale(samples, ctx.now, fresh) else samples


def device_offline(rule: AlertRule, device, ctx: Context) -> Verdict:
    if device.status == "online":
        return Verdict(False, f"Device {device.name} is back online")
    if device.status not in ("offline", "auth_failed"):  # auth_failed: answers, refuses login
        return Verdict(None)
    grace = timedelta(minutes=rule.duration_minutes or 0)
    if grace and device.last_seen and ctx.now - device.last_seen < grace:
        return Verdict(None)
    if device.status == "auth_failed":
        message = f"Device {device.name} refuses its TP-Link account: update its credentials"
        return Verdict(True, message, {"host": device.host})
    reason = f" ({device.offline_reason})" if device.offline_reason else ""
    return Verdict(True, f"Device {device.name} went offline{reason}", {"host": device.host})


def power_above(rule: AlertRule, device, ctx: Context) -> Verdict:
    samples = _fresh_samples(rule, device, ctx)
    if samples is None:
        return Verdict(None)
    minutes = rule.duration_minutes or 0
    if not conditions.sustained(samples, ctx.now, lambda p: p > rule.threshold, minutes):
        return Verdict(False)
    power = samples[-1][1]
    message = (
        f"{device.name} has drawn more than {rule.threshold:g} W for {minutes} min "
        f"(now {power:.0f} W)"
    )
    return Verdict(True, message, {"power_w": power, "threshold_w": rule.threshold})


def standby_load(rule: AlertRule, device, ctx: Context) -> Verdict:
    samples = _fresh_samples(rule, device, ctx)
    if samples is None:
        return Verdict(None)
    high = rule.threshold_high if rule.threshold_high is not None else float("inf")
    minutes = rule.duration_minutes or 0
    if not conditions.sustained(samples, ctx.now, lambda p: rule.threshold < p < high, minutes):
        return Verdict(False)
    power = samples[-1][1]
    hours = f"{minutes / 60:g} h" if minutes >= 60 else f"{minutes} min"
    message = f"{device.name} has idled at {power:.1f} W for {hours} (standby load)"
    return Verdict(True, message, {"power_w": power, "threshold_w": rule.threshold})


def appliance_finished(rule: AlertRule, device, ctx: Context) -> Verdict:
    samples = _fresh_samples(rule, device, ctx)
    if samples is None:
        return Verdict(None)
    # The same detection as the insights app's appliance runs (devices/runs.py): the rule's
    # settle minutes are both the longest pause inside a run and the quiet time after it.
    state, run_minutes = runs.finished(
        samples, ctx.now, rule.threshold,
        timedelta(minutes=rule.duration_minutes or 0), timedelta(minutes=rule.settle_minutes),
    )  # fmt: skip
    if state is not True:
        return Verdict(state)
    message = f"{device.name} finished: power below {rule.threshold:g} W after a {run_minutes:.0f} min run"
    return Verdict(True, message, {"run_minutes": round(run_minutes, 1)})


def budget(rule: AlertRule, device, ctx: Context) -> Verdict:
    kwh, cost = energy.period_totals(device.pk if device else None, rule.period, ctx.now)
    used = kwh if rule.kind == Kind.ENERGY_BUDGET else cost
    if used is None:
        return Verdict(None)  # nothing priced yet: cannot tell
    if float(used) <= rule.threshold:
        return Verdict(False)
    scope = device.name if device else "All devices"
    period = "today" if rule.period == AlertRule.Period.DAY else "this month"
    amount = f"{kwh:.2f} kWh" if rule.kind == Kind.ENERGY_BUDGET else f"{float(cost):.2f}"
    message = f"{scope} used {amount} {period}, over the budget of {rule.threshold:g}"
    return Verdict(True, message, {"used": float(used), "budget": rule.threshold})


def reachability(rule: AlertRule, subject, ctx: Context) -> Verdict:
    label = "Camera" if isinstance(subject, Camera) else "Host"
    if subject.status == Reachability.ONLINE:
        return Verdict(False, f"{label} {subject.name} is reachable again")
    if subject.status != Reachability.OFFLINE:
        return Verdict(None)
    why = f": {subject.last_error}" if subject.last_error else ""
    return Verdict(True, f"{label} {subject.name} is unreachable{why}", {"ip": subject.ip_address})


EVALUATORS = {
    Kind.DEVICE_OFFLINE: device_offline,
    Kind.POWER_ABOVE: power_above,
    Kind.STANDBY_LOAD: standby_load,
    Kind.APPLIANCE_FINISHED: appliance_finished,
    Kind.ENERGY_BUDGET: budget,
    Kind.COST_BUDGET: budget,
    Kind.CAMERA_UNREACHABLE: reachability,
    Kind.HOST_UNREACHABLE: reachability,
}
