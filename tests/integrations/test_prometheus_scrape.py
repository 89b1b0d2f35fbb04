"""Debian's Prometheus scrapes the real web process on loopback, and PromQL finds the power.

The test starts its own prometheus (temporary config and data folder, a free 127.0.0.1
port) against a web process started with METRICS_TOKEN, after a real poll of a simulated
plug; `make test` and .ci/run install the `prometheus` package.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from devices import services
from tests import live
from tests.simulator import Simulator, device_spec, free_loopback_block

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
TOKEN = "scrape-me-with-this-token-0123456789"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def _get(url: str, headers: dict | None = None, timeout: float = 2.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def _web(tmp_path: Path, **env):
    port = live.free_port()
    log = tmp_path / f"web-{port}.log"
    proc_env = live.web_env(port, METRICS_TOKEN=TOKEN, **env)
    return f"http://127.0.0.1:{port}", live.running(live.WEB_ARGS, proc_env, log), log


def _wait_up(url: str, proc, log: Path) -> None:
    def up():
        if proc.poll() is not None:
            raise RuntimeError(log.read_text())
        return _get(url + "/health/live")[0] == 200

    live.wait_until(up, timeout=40, what="the web process")


def _prometheus_config(tmp_path: Path, target: str) -> Path:
    token_file = tmp_path / "metrics-token"
    token_file.write_text(TOKEN)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n"
        "  - job_name: kasa_monitor\n"
        "    metrics_path: /metrics\n"
        "    authorization:\n"
        f"      credentials_file: {token_file}\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
    )
    return config


def _query(prom: str, promql: str) -> list:
    status, body = _get(f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
    if status != 200:
        return []
    return json.loads(body)["data"]["result"]


def test_prometheus_scrapes_the_web_process_and_promql_returns_the_devices_power(tmp_path):
    assert Path(PROMETHEUS).exists(), "install Debian's prometheus: apt-get install prometheus"
    (address,) = free_loopback_block(1)
    with Simulator([device_spec("hs110", address, alias="Scraped kettle")]) as sim:
        sim.emeter(address, power=61.5, voltage=230.5, current=0.27, total=3.25)
        device = services.device_add_manual(ip=address)
        services.device_poll_all()
    url, web, web_log = _web(tmp_path)
    prom_port = live.free_port()
    prom = f"http://127.0.0.1:{prom_port}"
    args = [
        PROMETHEUS,
        f"--config.file={_prometheus_config(tmp_path, url.removeprefix('http://'))}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{prom_port}",
    ]
    with (
        web as web_proc,
        live.running(args, live.process_env(), tmp_path / "prom.log") as prom_proc,
    ):
        _wait_up(url, web_proc, web_log)
        # Before the scrape: the endpoint refuses a request without the token.
        assert _get(url + "/metrics")[0] == 401
        promql = f'kasa_device_power_watts{{device_id="{device.device_id}"}}'

        def found():
            assert prom_proc.poll() is None, (tmp_path / "prom.log").read_text()
            return _query(prom, promql)

        result = live.wait_until(found, timeout=60, interval=0.5, what="Prometheus to scrape")
        up = _query(prom, 'up{job="kasa_monitor"}')
        dashboard = {expr: _evaluate(prom, expr) for expr in _dashboard_queries()}

    assert float(result[0]["value"][1]) == 61.5
    assert result[0]["metric"]["name"] == "Scraped kettle"
    assert result[0]["metric"]["model"] == device.model
    assert up and up[0]["value"][1] == "1"
    # The shipped Grafana dashboard's queries are valid PromQL over these names, and the
    # device panels find the device.
    assert all(status == "success" for status, _ in dashboard.values()), dashboard
    assert dashboard['kasa_device_power_watts{device_id=~".*"}'][1]
    assert dashboard['kasa_device_state{device_id=~".*"} == 1'][1]


def _dashboard_queries() -> list[str]:
    path = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "kasa-monitor.json"
    panels = json.loads(path.read_text())["panels"]
    exprs = [target["expr"] for panel in panels for target in panel["targets"]]
    return [expr.replace("$device", ".*") for expr in exprs]


def _evaluate(prom: str, promql: str) -> tuple[str, list]:
    status, body = _get(f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
    answer = json.loads(body or b"{}")
    return answer.get("status", str(status)), answer.get("data", {}).get("result", [])


def test_with_two_web_processes_any_of_them_reports_both(tmp_path):
    """WEB_WORKERS=2 share a port: the request counts of both add up in every scrape."""
    url, web, web_log = _web(tmp_path, WEB_WORKERS="2")
    with web as proc:
        _wait_up(url, proc, web_log)
        for _ in range(30):
            _get(url + "/api/devices")  # 401 from either process
        auth = {"Authorization": f"Bearer {TOKEN}"}
        counts = []
        for _ in range(6):
            status, body = _get(url + "/metrics", auth)
            assert status == 200
            counts.append(_count(body.decode(), 'route="api/devices"'))
            time.sleep(0.05)

    assert counts == [30] * 6


def _count(text: str, label: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith("kasa_http_request_duration_seconds_count{") and label in line:
            total += float(line.rsplit(" ", 1)[1])
    return total
