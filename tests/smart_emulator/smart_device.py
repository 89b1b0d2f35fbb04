"""What a "smart" device answers: its recording, made live (relay, energy, time, identity).

A method answers when the recording has it (``get_*`` with the recorded value, ``set_*``
when its ``get_*`` twin is recorded: the parameters are merged into it), and the stateful
ones are computed: device info (relay, on_time, our identity), energy, usage, time, the
child lists (paged) and ``control_child``. Anything else answers -1002 (unknown method),
as a device does.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from dataclasses import dataclass
from typing import Any

from .energy import Clock, Outlet, device_timezone, local_time_text, utc_offset_min

SUCCESS = 0
UNKNOWN_METHOD = -1002
PARAMS_ERROR = -1008


# Methods newer than some recordings, which python-kasa asks for when the device has the
# component (at that version): answered even when not recorded. Our assumption: the
# recorded firmware has them too.
IMPLIED = {
    "get_energy_usage": ("energy_monitoring", 1),
    "get_current_power": ("energy_monitoring", 2),
    "get_emeter_data": ("energy_monitoring", 2),
    "get_emeter_vgain_igain": ("energy_monitoring", 2),
    "get_energy_data": ("energy_monitoring", 1),
    "get_device_usage": ("device", 2),
    "get_connect_cloud_state": ("cloud_connect", 1),
}
# Fixed answers (our own values) for implied methods that have no live state.
DEFAULTS = {
    "get_emeter_vgain_igain": {"igain": 10000, "vgain": 120000},
    "get_connect_cloud_state": {"status": 0},
}
ENERGY_USAGE_BASE = {
    "current_power": 0,
    "electricity_charge": [0, 0, 0],
    "local_time": "",
    "month_energy": 0,
    "month_runtime": 0,
    "today_energy": 0,
    "today_runtime": 0,
}
DEVICE_USAGE_BASE = {
    "power_usage": {"past30": 0, "past7": 0, "today": 0},
    "saved_power": {"past30": 0, "past7": 0, "today": 0},
    "time_usage": {"past30": 0, "past7": 0, "today": 0},
}


def ok(result: Any = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"error_code": SUCCESS}
    if result is not None:
        answer["result"] = result
    return answer


def error(code: int) -> dict[str, Any]:
    return {"error_code": code}


@dataclass
class Identity:
    """Who an emulated device is on the network (replacing the recording's masked ids)."""

    host: str
    http_port: int
    mac: str  # AA-BB-CC-DD-EE-FF
    device_id: str  # 40 upper-case hex digits
    alias: str

    @classmethod
    def derive(cls, host: str, http_port: int, alias: str, seed: str = "") -> Identity:
        digest = hashlib.sha1(f"{host}:{http_port}/{seed}".encode()).hexdigest().upper()
        # A locally administered unicast MAC (02:...), stable for the address.
        mac = "-".join(["02"] + [digest[i : i + 2] for i in range(0, 10, 2)])
        return cls(host, http_port, mac, digest, alias)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _energy_defaults(recorded: dict[str, Any], region: str | None) -> dict[str, float]:
    usage = recorded.get("get_energy_usage") or {}
    emeter = recorded.get("get_emeter_data") or {}
    power_mw = emeter.get("power_mw", usage.get("current_power"))
    if power_mw is None and (current := recorded.get("get_current_power")):
        power_mw = current.get("current_power", 0) * 1000
    volts = emeter.get("voltage_mv", 0) / 1000 or (120.0 if _is_americas(region) else 230.0)
    return {
        "load_w": (power_mw or 0) / 1000,
        "voltage_v": volts,
        "today_wh": usage.get("today_energy", 0),
        "month_wh": usage.get("month_energy", 0),
        "today_runtime_min": usage.get("today_runtime", 0),
        "month_runtime_min": usage.get("month_runtime", 0),
    }


def _is_americas(region: str | None) -> bool:
    return bool(region) and region.startswith("America/")


class Node:
    """A device or one child socket: its recorded answers plus a live relay and meter."""

    def __init__(
        self,
        recorded: dict[str, Any],
        info: dict[str, Any],
        clock: Clock,
        *,
        region: str | None,
        time_diff: int | None,
        load_w: float | None = None,
        switchable: bool = True,
    ) -> None:
        self.recorded = recorded
        self.info = info
        self.clock = clock
        self.region = region or info.get("region")
        self.tz = device_timezone(self.region, time_diff)
        nego = recorded.get("component_nego") or {}
        self.components = {
            str(c.get("id")): int(c.get("ver_code", 0)) for c in nego.get("component_list", [])
        }
        self.outlet: Outlet | None = None
        if switchable and "device_on" in info:
            defaults = _energy_defaults(recorded, self.region)
            if load_w is not None:
                defaults["load_w"] = load_w
            self.outlet = Outlet(clock, self.tz, on=bool(info["device_on"]), **defaults)

    # -- what the node is made of --------------------------------------------------------

    def meters(self) -> list[Outlet]:
        return [self.outlet] if self.outlet else []

    def has(self, method: str) -> bool:
        return isinstance(self.recorded.get(method), dict)

    # -- dispatch ------------------------------------------------------------------------

    def call(self, method: str, params: Any) -> dict[str, Any]:
        if method == "multipleRequest":
            return self._multiple(params)
        handler = getattr(self, "m_" + method, None)
        if self._answers(method):
            if handler is not None:
                return handler(params or {})
            if method in DEFAULTS:
                return ok(copy.deepcopy(DEFAULTS[method]))
        if method.startswith("get_") and self.has(method):
            return ok(copy.deepcopy(self.recorded[method]))
        if method.startswith("set_") and self.has("get_" + method[4:]):
            if not isinstance(params, dict):
                return error(PARAMS_ERROR)
            self.recorded["get_" + method[4:]].update(copy.deepcopy(params))
            return ok()
        if method in self.recorded and self.recorded[method] is not None:
            return ok(copy.deepcopy(self.recorded[method]))
        return error(UNKNOWN_METHOD)

    ALWAYS = frozenset({"get_device_info", "set_device_info"})

    def _answers(self, method: str) -> bool:
        if self.has(method) or method in self.ALWAYS:
            return True
        implied = IMPLIED.get(method)
        return implied is not None and self.components.get(implied[0], 0) >= implied[1]

    def _multiple(self, params: Any) -> dict[str, Any]:
        requests = (params or {}).get("requests")
        if not isinstance(requests, list):
            return error(PARAMS_ERROR)
        responses = []
        for request in requests:
            method = request.get("method", "") if isinstance(request, dict) else ""
            answer = self.call(method, request.get("params") if method else None)
            responses.append({"method": method, **answer})
        return ok({"responses": responses})

    # -- device info and relay -----------------------------------------------------------

    def m_get_device_info(self, params: dict) -> dict[str, Any]:
        return ok(self.device_info())

    def device_info(self) -> dict[str, Any]:
        info = copy.deepcopy(self.info)
        if self.outlet is not None:
            info["device_on"] = self.outlet.on
            if "on_time" in info:
                info["on_time"] = self.outlet.on_time_s()
        if "time_diff" in info:
            info["time_diff"] = utc_offset_min(self.clock.now(), self.tz)
        return info

    def m_set_device_info(self, params: dict) -> dict[str, Any]:
        if not isinstance(params, dict):
            return error(PARAMS_ERROR)
        if "device_on" in params:
            if self.outlet is None or not isinstance(params["device_on"], bool):
                return error(PARAMS_ERROR)
            self.outlet.set_on(params["device_on"])
        for key, value in params.items():
            if key != "device_on":
                self.info[key] = copy.deepcopy(value)
        return ok()

    # -- energy --------------------------------------------------------------------------

    def _readings(self) -> dict[str, float]:
        total = {"power_w": 0.0, "today_wh": 0.0, "month_wh": 0.0, "today_s": 0.0}
        total |= {"month_s": 0.0, "current_a": 0.0, "voltage_v": 0.0}
        meters = self.meters()
        for meter in meters:
            for key, value in meter.reading().items():
                total[key] += value
        if meters:
            total["voltage_v"] /= len(meters)
        return total

    def m_get_energy_usage(self, params: dict) -> dict[str, Any]:
        r = self._readings()
        answer = copy.deepcopy(self.recorded.get("get_energy_usage") or ENERGY_USAGE_BASE)
        answer.update(
            today_energy=int(r["today_wh"]),
            month_energy=int(r["month_wh"]),
            today_runtime=int(r["today_s"] // 60),
            month_runtime=int(r["month_s"] // 60),
            local_time=local_time_text(self.clock.now(), self.tz),
        )
        if "current_power" in answer:  # some firmwares (P304M sockets) leave it out
            answer["current_power"] = round(r["power_w"] * 1000)
        for key in ("past24h", "past7d", "past30d", "past1y"):
            answer.pop(key, None)  # the old P110 firmware's history arrays: not modelled
        return ok(answer)

    def m_get_current_power(self, params: dict) -> dict[str, Any]:
        return ok({"current_power": round(self._readings()["power_w"])})

    def m_get_emeter_data(self, params: dict) -> dict[str, Any]:
        r = self._readings()
        return ok(
            {
                "current_ma": round(r["current_a"] * 1000),
                "energy_wh": int(r["month_wh"]),
                "power_mw": round(r["power_w"] * 1000),
                "voltage_mv": round(r["voltage_v"] * 1000),
            }
        )

    def m_get_device_usage(self, params: dict) -> dict[str, Any]:
        answer = copy.deepcopy(self.recorded.get("get_device_usage") or DEVICE_USAGE_BASE)
        r = self._readings()
        today = {"power_usage": int(r["today_wh"]), "time_usage": int(r["today_s"] // 60)}
        for key, value in today.items():
            block = answer.get(key)
            if isinstance(block, dict) and "today" in block:
                # past7/past30 keep what the device recorded before today, plus today.
                before = {k: max(block.get(k, 0) - block["today"], 0) for k in ("past7", "past30")}
                block.update(today=value, **{k: v + value for k, v in before.items()})
        return ok(answer)

    def m_get_energy_data(self, params: dict) -> dict[str, Any]:
        """Our own assumption of the Tapo history call (no recording has it): see README."""
        try:
            start = int(params["start_timestamp"])
            end = int(params["end_timestamp"])
            interval = int(params.get("interval", 60))
        except (KeyError, TypeError, ValueError):
            return error(PARAMS_ERROR)
        if interval not in (60, 1440, 43200) or end < start:
            return error(PARAMS_ERROR)
        data = [round(wh) for wh in self._energy_series(start, end, interval)]
        return ok(
            {
                "local_time": local_time_text(self.clock.now(), self.tz),
                "data": data,
                "start_timestamp": start,
                "end_timestamp": end,
                "interval": interval,
            }
        )

    def _energy_series(self, start: int, end: int, interval: int) -> list[float]:
        from datetime import datetime, timedelta

        bounds = [start]
        local = datetime.fromtimestamp(start, self.tz)
        while bounds[-1] < end:
            if interval == 60:
                local = local + timedelta(hours=1)
            elif interval == 1440:
                local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0)
            else:
                year, month = (local.year + local.month // 12, local.month % 12 + 1)
                local = local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0)
            bounds.append(min(int(local.timestamp()), end))
            if len(bounds) > 2000:
                break
        return [
            sum(m.energy_between(a, b) for m in self.meters())
            for a, b in zip(bounds, bounds[1:], strict=False)
        ]

    # -- time ----------------------------------------------------------------------------

    def m_get_device_time(self, params: dict) -> dict[str, Any]:
        now = self.clock.now()
        answer = copy.deepcopy(self.recorded["get_device_time"])  # only when recorded
        answer.update(timestamp=int(now), time_diff=utc_offset_min(now, self.tz))
        return ok(answer)


class ChildSocket(Node):
    """One socket of a strip, reached through the parent's ``control_child``."""

    def __init__(
        self,
        recorded: dict[str, Any],
        list_entry: dict[str, Any],
        components: dict[str, Any],
        clock: Clock,
        *,
        region: str | None,
        time_diff: int | None,
        load_w: float | None,
    ) -> None:
        info = copy.deepcopy(recorded.get("get_device_info") or list_entry)
        recorded.setdefault("component_nego", {"component_list": components["component_list"]})
        super().__init__(recorded, info, clock, region=region, time_diff=time_diff, load_w=load_w)
        self.list_entry = list_entry
        self.component_entry = components

    @property
    def device_id(self) -> str:
        return self.info["device_id"]

    def list_info(self) -> dict[str, Any]:
        """This socket's entry in the parent's ``get_child_device_list``."""
        entry = copy.deepcopy(self.list_entry)
        live = self.device_info()
        for key in ("device_on", "on_time", "nickname", "device_id", "original_device_id"):
            if key in entry or key in live:
                entry[key] = live.get(key, entry.get(key))
        return entry


class SmartDevice(Node):
    """A whole smart device: plug, switch or strip (children reached by control_child)."""

    def __init__(
        self,
        fixture: dict[str, Any],
        identity: Identity,
        clock: Clock,
        *,
        http_port_in_discovery: int | None = None,
        page_size: int = 10,
        load_w: float | None = None,
        child_aliases: list[str] | None = None,
        https: bool | None = None,
    ) -> None:
        fixture = copy.deepcopy(fixture)
        self.identity = identity
        self.page_size = page_size
        child_fixtures = fixture.pop("child_devices", {})
        discovery = fixture.pop("discovery_result")
        info = fixture.get("get_device_info", {})
        self._stamp_identity(info, identity)
        time_rec = fixture.get("get_device_time") or {}
        region = time_rec.get("region") or info.get("region")
        time_diff = time_rec.get("time_diff", info.get("time_diff"))
        super().__init__(
            fixture,
            info,
            clock,
            region=region,
            time_diff=time_diff,
            load_w=load_w,
            switchable="get_child_device_list" not in fixture or "device_on" in info,
        )
        self.discovery = self._discovery(discovery, http_port_in_discovery, https)
        self.children = self._make_children(child_fixtures, load_w, child_aliases or [])

    # -- identity ------------------------------------------------------------------------

    @staticmethod
    def _stamp_identity(info: dict[str, Any], identity: Identity) -> None:
        info.update(
            device_id=identity.device_id,
            mac=identity.mac,
            ip=identity.host,
            nickname=b64(identity.alias),
        )

    def _discovery(
        self, recorded: dict[str, Any], http_port: int | None, https: bool | None = None
    ) -> dict[str, Any]:
        result = copy.deepcopy(recorded.get("result", recorded))
        result.update(
            ip=self.identity.host,
            mac=self.identity.mac,
            device_id=hashlib.md5(self.identity.device_id.encode()).hexdigest().upper(),
        )
        scheme = result.setdefault("mgt_encrypt_schm", {})
        scheme["http_port"] = http_port or self.identity.http_port
        if https is not None:  # DeviceSpec.https: may differ from the recording (server.py)
            scheme["is_support_https"] = https
        return {"error_code": 0, "result": result}

    @property
    def encryption(self) -> str:
        return self.discovery["result"]["mgt_encrypt_schm"].get("encrypt_type", "AES")

    @property
    def login_version(self) -> int | None:
        return self.discovery["result"]["mgt_encrypt_schm"].get("lv")

    @property
    def family(self) -> str:
        return self.discovery["result"]["device_type"]

    @property
    def model(self) -> str:
        return self.discovery["result"]["device_model"]

    # -- children ------------------------------------------------------------------------

    def _make_children(
        self, child_fixtures: dict[str, Any], load_w: float | None, aliases: list[str]
    ) -> list[ChildSocket]:
        entries = (self.recorded.get("get_child_device_list") or {}).get("child_device_list", [])
        component_lists = (self.recorded.get("get_child_device_component_list") or {}).get(
            "child_component_list", []
        )
        components = {c.get("device_id"): c for c in component_lists}
        children = []
        for index, entry in enumerate(entries):
            old_id = entry.get("device_id")
            new_id = f"{self.identity.device_id}{index:02X}"
            recorded = copy.deepcopy(child_fixtures.get(old_id, {}))
            alias = aliases[index] if index < len(aliases) else f"{self.identity.alias} {index + 1}"
            for target in (entry, recorded.get("get_device_info")):
                if isinstance(target, dict):
                    target.update(device_id=new_id, nickname=b64(alias))
                    if "mac" in target:
                        target["mac"] = self.identity.mac.replace("-", "")
                    if "original_device_id" in target:
                        target["original_device_id"] = self.identity.device_id
            comp = copy.deepcopy(components.get(old_id, {"component_list": []}))
            comp["device_id"] = new_id
            children.append(
                ChildSocket(
                    recorded,
                    entry,
                    comp,
                    self.clock,
                    region=self.region,
                    time_diff=self.info.get("time_diff"),
                    load_w=load_w,
                )
            )
        return children

    def child(self, key: str | int) -> ChildSocket:
        """A socket by its device id, its last two characters, or its index."""
        if isinstance(key, int):
            return self.children[key]
        for child in self.children:
            if child.device_id == key or child.device_id.endswith(key) and len(key) == 2:
                return child
        raise KeyError(key)

    def meters(self) -> list[Outlet]:
        if self.outlet is not None:
            return [self.outlet]
        return [c.outlet for c in self.children if c.outlet is not None]

    def m_get_child_device_list(self, params: dict) -> dict[str, Any]:
        return self._page("child_device_list", [c.list_info() for c in self.children], params)

    def m_get_child_device_component_list(self, params: dict) -> dict[str, Any]:
        items = [copy.deepcopy(c.component_entry) for c in self.children]
        return self._page("child_component_list", items, params)

    def _page(self, name: str, items: list[Any], params: dict) -> dict[str, Any]:
        start = params.get("start_index", 0) if isinstance(params, dict) else 0
        if not isinstance(start, int) or start < 0:
            return error(PARAMS_ERROR)
        page = items[start : start + self.page_size]
        return ok({name: page, "start_index": start, "sum": len(items)})

    def m_control_child(self, params: dict) -> dict[str, Any]:
        request = params.get("requestData")
        try:
            child = next(c for c in self.children if c.device_id == params.get("device_id"))
        except StopIteration:
            return error(PARAMS_ERROR)
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            return error(PARAMS_ERROR)
        return ok({"responseData": child.call(request["method"], request.get("params"))})

    ALWAYS = Node.ALWAYS | {"control_child"}

    def call(self, method: str, params: Any) -> dict[str, Any]:
        if method == "control_child" and not self.children:
            return error(UNKNOWN_METHOD)
        return super().call(method, params)
