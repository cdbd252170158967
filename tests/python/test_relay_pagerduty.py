"""The relay driven by a PagerDuty client nobody here wrote.

The `pagerduty` package from PyPI (its `EventsApiV2Client`) sends trigger,
acknowledge and resolve to a real `klaxon serve` on loopback. The client
insists on https, as it should, so the relay sits behind a TLS-terminating
proxy (what a deployment puts in front of it), with a throwaway certificate
made by `openssl` and trusted by the client. The relay must
answer the way PagerDuty does (the client checks the body for `dedup_key`
and raises on errors), dedupe, keep links and images, and page the on-call
person (alice in the fixture roster).
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pagerduty
import pytest

ROOT = Path(__file__).resolve().parents[2]
ROSTER = ROOT / "tests" / "fixtures" / "relay.toml"
KEY = "0123456789abcdef0123456789abcdef"
ADMIN = "pd-client-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_proxy(cert: str, key: str, upstream: int) -> tuple[int, socket.socket]:
    """A TLS listener that pipes each connection to the relay's plain port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            try:
                client = context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                raw.close()
                continue
            upstream_sock = socket.create_connection(("127.0.0.1", upstream))
            threading.Thread(target=pipe, args=(client, upstream_sock), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream_sock, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], listener


@pytest.fixture(scope="module")
def relay():
    """A `klaxon serve` on a free loopback port with a fresh database."""
    binary = ROOT / "target" / "debug" / "klaxon"
    if not binary.exists():
        subprocess.run(["cargo", "build", "-p", "klaxon"], cwd=ROOT, check=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KLAXON_ADMIN_TOKEN=ADMIN, KLAXON_LOG="warn")
        proc = subprocess.Popen(
            [str(binary), "serve", "--config", str(ROSTER), "--db", f"{tmp}/pd.db",
             "--listen", f"127.0.0.1:{port}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"klaxon serve did not start: {proc.stderr.read().decode()}")
            time.sleep(0.05)
        cert, key = f"{tmp}/cert.pem", f"{tmp}/key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )
        tls_port, listener = tls_proxy(cert, key, port)
        try:
            yield {"plain": base, "tls": f"https://127.0.0.1:{tls_port}", "ca": cert}
        finally:
            listener.close()
            proc.terminate()
            assert proc.wait(timeout=20) == 0


def alerts(relay: dict) -> list[dict]:
    base = relay["plain"]
    req = urllib.request.Request(f"{base}/v1/admin/alerts", headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def by_key(relay: dict, key: str) -> dict:
    return [a for a in alerts(relay) if a["dedup_key"] == key][-1]


def events_client(relay: dict, routing_key: str = KEY) -> pagerduty.EventsApiV2Client:
    """The library's own client, pointed at the relay and trusting its certificate."""
    return pagerduty.EventsApiV2Client(
        routing_key, base_url=relay["tls"], verify=ssl.create_default_context(cafile=relay["ca"])
    )


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
