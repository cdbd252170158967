"""The real Prometheus Alertmanager (Debian `prometheus-alertmanager`) in
front of a real `klaxon serve`.

Two receivers: the Alertmanager webhook (`/v1/alertmanager/{routing_key}`)
and, for alerts labelled `via="pagerduty"`, Alertmanager's own
`pagerduty_configs` pointed at the relay's `/v2/enqueue`. An alert fired
with `amtool` becomes a page to the on-call person (alice in the fixture
roster); ending it with `amtool` resolves the relay's alert.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import KEY, ROSTER, binary, free_port

ADMIN = "am-test"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")


def wait_http(url: str, proc: subprocess.Popen, what: str) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


@pytest.fixture(scope="module")
def stack():
    assert ALERTMANAGER and AMTOOL, "install prometheus-alertmanager (scripts/setup.sh does)"
    relay_port, am_port = free_port(), free_port()
    relay = f"http://127.0.0.1:{relay_port}"
    am = f"http://127.0.0.1:{am_port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KLAXON_ADMIN_TOKEN=ADMIN, KLAXON_LOG="warn")
        serve = subprocess.Popen(
            [str(binary()), "serve", "--config", str(ROSTER), "--db", f"{tmp}/am.db",
             "--listen", f"127.0.0.1:{relay_port}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        config = f"""
route:
  receiver: klaxon-webhook
  group_by: ['alertname', 'instance']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: klaxon-pagerduty
      matchers: ['via="pagerduty"']
receivers:
  - name: klaxon-webhook
    webhook_configs:
      - url: {relay}/v1/alertmanager/{KEY}
        send_resolved: true
  - name: klaxon-pagerduty
    pagerduty_configs:
      - routing_key: {KEY}
        url: {relay}/v2/enqueue
        send_resolved: true
"""
        Path(f"{tmp}/alertmanager.yml").write_text(config)
        manager = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={tmp}/alertmanager.yml", f"--storage.path={tmp}/am-data",
             f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_http(f"{relay}/healthz", serve, "klaxon serve")
            wait_http(f"{am}/-/ready", manager, "alertmanager")
            yield {"relay": relay, "am": am}
        finally:
            manager.terminate()
            manager.wait(timeout=20)
            serve.terminate()
            assert serve.wait(timeout=20) == 0


def amtool(stack: dict, *args: str) -> None:
    subprocess.run([AMTOOL, f"--alertmanager.url={stack['am']}", *args], check=True, capture_output=True)


def alerts(stack: dict) -> list[dict]:
    req = urllib.request.Request(f"{stack['relay']}/v1/admin/alerts", headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def wait_for(stack: dict, match, seconds: float = 30) -> dict:
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = [a for a in alerts(stack) if match(a)]
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"no matching alert on the relay; it has {alerts(stack)}")


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_amtool_alert_through_the_webhook_pages_and_resolves(stack):
    labels = ["alertname=DiskFull", "instance=db1", "severity=critical"]
    amtool(stack, "alert", "add", *labels,
           "--annotation=summary=Disk full on db1",
           "--annotation=runbook_url=https://runbooks.example.com/disk")
    alert = wait_for(stack, lambda a: a["summary"] == "Disk full on db1")
    assert alert["status"] == "triggered"
    assert alert["priority"] == "critical"
    assert alert["paged"][0] == "alice"
    # Ending the alert makes Alertmanager send `resolved`.
    amtool(stack, "alert", "add", *labels, "--annotation=summary=Disk full on db1", f"--end={now_rfc3339()}")
    wait_for(stack, lambda a: a["id"] == alert["id"] and a["status"] == "resolved")


def test_amtool_alert_through_pagerduty_configs_pages_and_resolves(stack):
    labels = ["alertname=QueueStuck", "instance=mq1", "via=pagerduty"]
    amtool(stack, "alert", "add", *labels, "--annotation=summary=Queue stuck on mq1")
    alert = wait_for(stack, lambda a: "QueueStuck" in a["summary"])
    assert alert["status"] == "triggered"
    assert alert["paged"][0] == "alice"
    amtool(stack, "alert", "add", *labels, "--annotation=summary=Queue stuck on mq1", f"--end={now_rfc3339()}")
    wait_for(stack, lambda a: a["id"] == alert["id"] and a["status"] == "resolved")
