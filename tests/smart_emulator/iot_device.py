"""What a legacy ("iot") device answers: its recording, made live.

Requests are ``{module: {method: params}}`` (plus ``context.child_ids`` for strip sockets)
and so are the answers. Live: ``system.get_sysinfo`` (relay, on_time, identity),
``set_relay_state``, ``set_dev_alias``, ``emeter.get_realtime`` (in the recording's units:
``power_mw``... or ``power``...), ``get_daystat`` / ``get_monthstat`` from the meter's
hourly buckets, and ``time``. Other recorded methods answer as recorded; an unrecorded
method of a recorded module answers err_code -2, an unrecorded module err_code -1, as
the devices do.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from .energy import Clock, Outlet, device_timezone
from .smart_device import Identity

EMETER_MODULES = ("emeter", "smartlife.iot.common.emeter")


def _module_error() -> dict[str, Any]:
    return {"err_code": -1, "err_msg": "module not support"}


def _member_error() -> dict[str, Any]:
    return {"err_code": -2, "err_msg": "member not support"}


class IotDevice:
    """A legacy plug or strip (HS1xx, KP1xx, HS300...) from an ``iot/`` recording."""

    def __init__(
        self,
        fixture: dict[str, Any],
        identity: Identity,
        clock: Clock,
        *,
        load_w: float | None = None,
        child_aliases: list[str] | None = None,
    ) -> None:
        fixture = copy.deepcopy(fixture)
        self.identity = identity
        self.clock = clock
        discovery = fixture.pop("discovery_result", None)
        self.recorded = fixture
        self.sysinfo: dict[str, Any] = fixture["system"]["get_sysinfo"]
        self.tz = device_timezone(None, 0)  # iot recordings carry no zone: UTC
        self.mac = identity.mac.replace("-", ":")
        self.sysinfo.update(alias=identity.alias, deviceId=identity.device_id)
        self.sysinfo["mac" if "mac" in self.sysinfo else "mic_mac"] = self.mac
        self.emeter_key = next((m for m in EMETER_MODULES if m in fixture), None)
        realtime = (fixture.get(self.emeter_key) or {}).get("get_realtime", {})
        defaults = self._meter_defaults(realtime, load_w)
        self.outlet: Outlet | None = None
        self.children: list[dict[str, Any]] = self.sysinfo.get("children", [])
        self.child_outlets: list[Outlet] = []
        for index, child in enumerate(self.children):
            child["id"] = f"{identity.device_id}{index:02X}"
            if child_aliases and index < len(child_aliases):
                child["alias"] = child_aliases[index]
            else:
                child["alias"] = f"{identity.alias} {index + 1}"
            on = bool(child.get("state"))
            self.child_outlets.append(Outlet(clock, self.tz, on=on, **defaults))
        if not self.children and "relay_state" in self.sysinfo:
            on = bool(self.sysinfo["relay_state"])
            self.outlet = Outlet(clock, self.tz, on=on, **defaults)
        self.discovery = self._discovery(discovery)

    @staticmethod
    def _meter_defaults(realtime: dict[str, Any], load_w: float | None) -> dict[str, float]:
        power = realtime.get("power_mw", realtime.get("power", 0) * 1000) / 1000
        volts = realtime.get("voltage_mv", realtime.get("voltage", 0) * 1000) / 1000
        return {"load_w": power if load_w is None else load_w, "voltage_v": volts or 120.0}

    def _discovery(self, recorded: dict[str, Any] | None) -> dict[str, Any] | None:
        if recorded is None:
            return None
        result = copy.deepcopy(recorded.get("result", recorded))
        result.update(ip=self.identity.host, mac=self.identity.mac)
        result["device_id"] = self.identity.device_id[:32]
        result.setdefault("mgt_encrypt_schm", {})["http_port"] = self.identity.http_port
        return {"error_code": 0, "result": result}

    # -- what the server asks ------------------------------------------------------------

    @property
    def encryption(self) -> str:
        if self.discovery is None:
            return "XOR"
        return self.discovery["result"]["mgt_encrypt_schm"].get("encrypt_type", "XOR")

    @property
    def login_version(self) -> int | None:
        return self.discovery["result"]["mgt_encrypt_schm"].get("lv") if self.discovery else None

    @property
    def family(self) -> str:
        return self.sysinfo.get("mic_type") or self.sysinfo.get("type", "IOT.SMARTPLUGSWITCH")

    @property
    def model(self) -> str:
        return self.sysinfo.get("model", "")

    def meters(self) -> list[Outlet]:
        return [self.outlet] if self.outlet else self.child_outlets

    def child(self, key: str | int) -> Any:
        index = key if isinstance(key, int) else self._child_index(key)
        return _ChildView(self.children[index], self.child_outlets[index])

    def _child_index(self, key: str) -> int:
        for index, child in enumerate(self.children):
            if child["id"] == key or child["id"].endswith(key):
                return index
        raise KeyError(key)

    def discovery_sysinfo(self) -> dict[str, Any]:
        return {"system": {"get_sysinfo": self._sysinfo()}}

    # -- requests ------------------------------------------------------------------------

    def handle(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict):
            return {"err_code": -1, "err_msg": "bad request"}
        context = request.get("context") or {}
        children = [self._child_index(c) for c in context.get("child_ids") or []]
        answer: dict[str, Any] = {}
        for module, methods in request.items():
            if module == "context":
                continue
            if not isinstance(methods, dict):
                answer[module] = _module_error()
                continue
            answer[module] = self._module(module, methods, children)
        return answer

    def _module(self, module: str, methods: dict, children: list[int]) -> dict[str, Any]:
        recorded = self.recorded.get(module)
        live = module in ("system", "time") or (module == self.emeter_key)
        if recorded is None and not live:
            return _module_error()
        out = {}
        for method, params in methods.items():
            handler = getattr(self, f"_{module.split('.')[-1]}_{method}", None)
            if handler is not None and (live or module == self.emeter_key):
                out[method] = {"err_code": 0, **handler(params or {}, children)}
            elif isinstance(recorded, dict) and isinstance(recorded.get(method), dict):
                out[method] = copy.deepcopy(recorded[method])
            else:
                out[method] = _member_error()
        return out

    def _targets(self, children: list[int]) -> list[Outlet]:
        if children:
            return [self.child_outlets[i] for i in children]
        return self.meters()

    # system

    def _sysinfo(self) -> dict[str, Any]:
        info = copy.deepcopy(self.sysinfo)
        if self.outlet is not None:
            info["relay_state"] = int(self.outlet.on)
            if "on_time" in info:
                info["on_time"] = self.outlet.on_time_s()
        for child, outlet in zip(info.get("children", []), self.child_outlets, strict=True):
            child["state"] = int(outlet.on)
            child["on_time"] = outlet.on_time_s()
        return info

    def _system_get_sysinfo(self, params: dict, children: list[int]) -> dict[str, Any]:
        return self._sysinfo()

    def _system_set_relay_state(self, params: dict, children: list[int]) -> dict[str, Any]:
        for outlet in self._targets(children):
            outlet.set_on(bool(params.get("state")))
        return {}

    def _system_set_dev_alias(self, params: dict, children: list[int]) -> dict[str, Any]:
        if children:
            for index in children:
                self.children[index]["alias"] = str(params.get("alias", ""))
        else:
            self.sysinfo["alias"] = str(params.get("alias", ""))
        return {}

    # time (UTC: the recordings hold no zone)

    def _time_get_time(self, params: dict, children: list[int]) -> dict[str, Any]:
        now = datetime.fromtimestamp(self.clock.now(), self.tz)
        return {
            "year": now.year,
            "month": now.month,
            "mday": now.day,
            "hour": now.hour,
            "min": now.minute,
            "sec": now.second,
        }

    def _time_get_timezone(self, params: dict, children: list[int]) -> dict[str, Any]:
        return {"index": 39}  # python-kasa's index of a UTC zone

    # emeter

    def _milli_units(self) -> bool:
        realtime = (self.recorded.get(self.emeter_key) or {}).get("get_realtime", {})
        return "power_mw" in realtime or not realtime

    def _emeter_get_realtime(self, params: dict, children: list[int]) -> dict[str, Any]:
        outlets = self._targets(children)
        readings = [o.reading() for o in outlets]
        power = sum(r["power_w"] for r in readings)
        volts = sum(r["voltage_v"] for r in readings) / max(len(readings), 1)
        # "total" of a legacy meter is a lifetime counter: ours counts from the start.
        total_wh = sum(sum(o.hourly_wh.values()) for o in outlets)
        current = power / volts if volts else 0.0
        if self._milli_units():
            return {
                "power_mw": round(power * 1000),
                "voltage_mv": round(volts * 1000),
                "current_ma": round(current * 1000),
                "total_wh": round(total_wh),
            }
        return {"power": power, "voltage": volts, "current": current, "total": total_wh / 1000}

    def _stat(self, start: datetime, end: datetime, outlets: list[Outlet]) -> float:
        return sum(o.energy_between(start.timestamp(), end.timestamp()) for o in outlets)

    def _stat_entry(self, when: dict[str, int], wh: float) -> dict[str, Any]:
        if self._milli_units():
            return {**when, "energy_wh": round(wh)}
        return {**when, "energy": wh / 1000}

    def _emeter_get_daystat(self, params: dict, children: list[int]) -> dict[str, Any]:
        year, month = int(params.get("year", 0)), int(params.get("month", 0))
        outlets = self._targets(children)
        days = []
        for day in range(1, 32):
            try:
                start = datetime(year, month, day, tzinfo=self.tz)
            except ValueError:
                break
            from datetime import timedelta

            wh = self._stat(start, start + timedelta(days=1), outlets)
            if wh:
                days.append(self._stat_entry({"year": year, "month": month, "day": day}, wh))
        return {"day_list": days}

    def _emeter_get_monthstat(self, params: dict, children: list[int]) -> dict[str, Any]:
        year = int(params.get("year", 0))
        outlets = self._targets(children)
        months = []
        for month in range(1, 13):
            start = datetime(year, month, 1, tzinfo=self.tz)
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=self.tz)
            if wh := self._stat(start, end, outlets):
                months.append(self._stat_entry({"year": year, "month": month}, wh))
        return {"month_list": months}


class _ChildView:
    """A strip socket as the control surface sees it."""

    def __init__(self, entry: dict[str, Any], outlet: Outlet) -> None:
        self.entry, self.outlet = entry, outlet

    @property
    def device_id(self) -> str:
        return self.entry["id"]
