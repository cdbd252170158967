"""The relay driven by a PagerDuty client nobody here wrote.

The `pagerduty` package from PyPI (its `EventsApiV2Client`) sends trigger,
acknowledge and resolve to a real `klaxon serve` on loopback. The client
insists on https, as it should, and gets it from the relay itself
(`klaxon serve --tls-cert … --tls-key …`, no proxy in between), with a
throwaway certificate made by `openssl` and trusted by the client. The relay must
answer the way PagerDuty does (the client checks the body for `dedup_key`
and raises on errors), dedupe, keep links and images, and page the on-call
person (alice in the fixture roster).
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import tempfile
import time
import urllib.request

import pagerduty
import pytest

from conftest import KEY, ROSTER, binary, free_port, self_signed

ADMIN = "pd-client-test"


@pytest.fixture(scope="module")
def relay():
    """A `klaxon serve --tls-cert … --tls-key …` on a free loopback port with
    a fresh database: HTTPS straight from the relay, no proxy."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = f"{tmp}/cert.pem", f"{tmp}/key.pem"
        self_signed(cert, key)
        env = dict(os.environ, KLAXON_ADMIN_TOKEN=ADMIN, KLAXON_LOG="warn")
        proc = subprocess.Popen(
            [str(binary()), "serve", "--config", str(ROSTER), "--db", f"{tmp}/pd.db",
             "--listen", f"127.0.0.1:{port}", "--tls-cert", cert, "--tls-key", key],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        base = f"https://127.0.0.1:{port}"
        trust = ssl.create_default_context(cafile=cert)
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1, context=trust) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"klaxon serve did not start: {proc.stderr.read().decode()}")
            time.sleep(0.05)
        try:
            yield {"base": base, "ca": cert, "trust": trust}
        finally:
            proc.terminate()
            assert proc.wait(timeout=20) == 0


def alerts(relay: dict) -> list[dict]:
    req = urllib.request.Request(
        f"{relay['base']}/v1/admin/alerts", headers={"Authorization": f"Bearer {ADMIN}"}
    )
    with urllib.request.urlopen(req, timeout=5, context=relay["trust"]) as r:
        return json.loads(r.read())


def by_key(relay: dict, key: str) -> dict:
    return [a for a in alerts(relay) if a["dedup_key"] == key][-1]


def events_client(relay: dict, routing_key: str = KEY) -> pagerduty.EventsApiV2Client:
    """The library's own client, pointed at the relay and trusting its certificate."""
    return pagerduty.EventsApiV2Client(routing_key, base_url=relay["base"], verify=relay["trust"])


def test_trigger_acknowledge_resolve_through_the_pagerduty_client(relay):
    client = events_client(relay)
    key = client.trigger(
        "Checkout latency over 2 s", "web-7", dedup_key="pd-lib-1", severity="error",
        custom_details={"p99_ms": 2300},
        links=[{"href": "https://grafana.example.com/d/checkout", "text": "Dashboard"}],
        images=[{"src": "https://grafana.example.com/p.png", "alt": "p99"}],
    )
    assert key == "pd-lib-1"
    alert = by_key(relay, "pd-lib-1")
    assert alert["status"] == "triggered"
    assert alert["priority"] == "high"
    assert alert["paged"] == ["alice"]

    # The same key again updates the open alert.
    client.trigger("Checkout latency over 5 s", "web-7", dedup_key="pd-lib-1", severity="critical")
    assert len([a for a in alerts(relay) if a["dedup_key"] == "pd-lib-1"]) == 1
    assert by_key(relay, "pd-lib-1")["summary"] == "Checkout latency over 5 s"

    assert client.acknowledge("pd-lib-1") == "pd-lib-1"
    assert by_key(relay, "pd-lib-1")["status"] == "acknowledged"
    assert client.resolve("pd-lib-1") == "pd-lib-1"
    assert by_key(relay, "pd-lib-1")["status"] == "resolved"


def test_a_trigger_without_key_gets_one_and_unknown_keys_are_ignored(relay):
    client = events_client(relay)
    key = client.trigger("no key given", "host-1", severity="info")
    assert key and by_key(relay, key)["priority"] == "low"
    assert client.acknowledge("never-opened") == "never-opened"
    assert client.resolve("never-opened") == "never-opened"
    assert not [a for a in alerts(relay) if a["dedup_key"] == "never-opened"]


def test_bad_events_raise_in_the_client(relay):
    client = events_client(relay)
    with pytest.raises(pagerduty.Error):
        client.trigger("x" * 1025, "host-1")
    wrong = events_client(relay, "f" * 32)
    with pytest.raises(pagerduty.Error):
        wrong.trigger("unknown routing key", "host-1")


def detail(relay: dict, alert_id: str) -> dict:
    req = urllib.request.Request(
        f"{relay['base']}/v1/admin/alerts/{alert_id}",
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    with urllib.request.urlopen(req, timeout=5, context=relay["trust"]) as r:
        return json.loads(r.read())


def test_change_events_through_the_pagerduty_client_show_with_the_next_alert(relay):
    """`send_change_event` posts to /v2/change/enqueue; the relay answers 202
    after storing it, and the alert that opens 6 minutes later lists it."""
    from datetime import datetime, timedelta, timezone

    client = events_client(relay)
    at = datetime.now(timezone.utc) - timedelta(minutes=6, seconds=5)
    client.send_change_event(
        payload={
            "summary": "deploy v2.3",
            "source": "ci",
            "timestamp": at.isoformat(),
            "custom_details": {"build": 412},
        },
        links=[{"href": "https://ci.example.com/412", "text": "build 412"}],
    )
    # A change of the other service is not this alert's.
    events_client(relay, "fedcba9876543210fedcba9876543210").send_change_event(
        payload={"summary": "shop deploy", "source": "ci"}
    )
    client.trigger("Checkout errors over 5%", "web-7", dedup_key="pd-change-1", severity="error")
    alert = detail(relay, by_key(relay, "pd-change-1")["id"])
    assert [c["summary"] for c in alert["changes"]] == ["deploy v2.3"]
    change = alert["changes"][0]
    assert change["source"] == "ci"
    assert change["custom_details"] == {"build": 412}
    assert change["links"] == [{"href": "https://ci.example.com/412", "text": "build 412"}]
    stored = datetime.fromisoformat(change["at"].replace("Z", "+00:00"))
    assert abs((stored - at).total_seconds()) < 0.001


def test_bad_change_events_raise_in_the_client(relay):
    with pytest.raises(pagerduty.Error) as missing:
        events_client(relay).send_change_event(payload={"source": "ci"})
    assert "payload.summary: missing" in missing.value.response.text
    with pytest.raises(pagerduty.Error):
        events_client(relay).send_change_event(payload={"summary": "x" * 1025})
    with pytest.raises(pagerduty.Error) as unknown:
        events_client(relay, "f" * 32).send_change_event(payload={"summary": "deploy"})
    assert unknown.value.response.status_code == 400
    assert "routing_key: no service has this routing key" in unknown.value.response.text
