"""`klaxon serve` as an HTTPS server, seen by clients nobody here wrote.

`curl --http2` negotiates HTTP/2 by ALPN (and HTTP/1.1 when asked), a
trigger commits over both; SIGHUP swaps the certificate for new connections
while a connection opened before keeps working; a bad new pair on SIGHUP is
logged naming the file and the old certificate stays; a bad or missing pair
at start is a one-line refusal naming the file, exit 2. Certificates are
throwaway ones made by `openssl`; the pair is given by the environment
(`KLAXON_TLS_CERT`, `KLAXON_TLS_KEY`) here, by flags in
test_relay_pagerduty.py.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import KEY, ROSTER, binary, free_port, self_signed


class Relay:
    """A running `klaxon serve` with TLS from the environment, its stderr
    lines collected as they come."""

    def __init__(self, tmp: str) -> None:
        self.dir = tmp
        self.cert, self.key = f"{tmp}/cert.pem", f"{tmp}/key.pem"
        self_signed(self.cert, self.key)
        self.port = free_port()
        self.base = f"https://127.0.0.1:{self.port}"
        env = dict(os.environ, KLAXON_LOG="info", KLAXON_TLS_CERT=self.cert,
                   KLAXON_TLS_KEY=self.key)
        env.pop("KLAXON_LOG_FORMAT", None)
        self.proc = subprocess.Popen(
            [str(binary()), "serve", "--config", str(ROSTER), "--db", f"{tmp}/tls.db",
             "--listen", f"127.0.0.1:{self.port}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("klaxon relay listening on https://", 30)

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, secs: float) -> str:
        """The first stderr line from now on that contains `text`."""
        deadline = time.time() + secs
        seen = []
        while time.time() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no stderr line with {text!r}; saw: {seen}")

    def trust(self, cafile: str | None = None) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=cafile or self.cert)

    def stop(self) -> None:
        self.proc.terminate()
        assert self.proc.wait(timeout=20) == 0


@pytest.fixture()
def relay():
    with tempfile.TemporaryDirectory() as tmp:
        running = Relay(tmp)
        try:
            yield running
        finally:
            if running.proc.poll() is None:
                running.stop()


def curl(relay: Relay, *args: str) -> str:
    out = subprocess.run(
        ["curl", "-sS", "--cacert", relay.cert, "-o", "/dev/null",
         "-w", "%{http_version} %{http_code}", *args],
        check=True, capture_output=True, text=True, timeout=30,
    )
    return out.stdout


def trigger_body(dedup: str) -> str:
    return json.dumps({"routing_key": KEY, "event_action": "trigger", "dedup_key": dedup,
                       "payload": {"summary": "over TLS", "source": "curl",
                                   "severity": "critical"}})


def test_curl_negotiates_http2_and_http1_by_alpn(relay):
    assert curl(relay, "--http2", f"{relay.base}/healthz") == "2 200"
    assert curl(relay, "--http1.1", f"{relay.base}/healthz") == "1.1 200"
    for flag, dedup in (("--http2", "curl-h2"), ("--http1.1", "curl-h1")):
        got = curl(relay, flag, "-H", "content-type: application/json",
                   "--data", trigger_body(dedup), f"{relay.base}/v2/enqueue")
        assert got.endswith(" 202"), got
    # Plain HTTP on the TLS port is refused.
    plain = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", f"http://127.0.0.1:{relay.port}/healthz"],
        capture_output=True, text=True, timeout=30,
    )
    assert plain.returncode != 0


def get(conn: http.client.HTTPSConnection, path: str) -> int:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status


def test_sighup_swaps_the_certificate_for_new_connections_only(relay):
    old_ca = f"{relay.dir}/old-ca.pem"
    Path(old_ca).write_bytes(Path(relay.cert).read_bytes())
    opened = http.client.HTTPSConnection("127.0.0.1", relay.port, context=relay.trust(old_ca),
                                         timeout=10)
    assert get(opened, "/healthz") == 200
    sock = opened.sock

    # A new pair written over the files, then SIGHUP.
    self_signed(relay.cert, relay.key)
    relay.proc.send_signal(signal.SIGHUP)
    relay.wait_for("TLS certificate reloaded", 10)

    # A new connection gets the new certificate.
    fresh = http.client.HTTPSConnection("127.0.0.1", relay.port, context=relay.trust(), timeout=10)
    assert get(fresh, "/healthz") == 200
    stale = http.client.HTTPSConnection("127.0.0.1", relay.port, context=relay.trust(old_ca),
                                        timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        get(stale, "/healthz")
    # The connection opened before keeps working, on the same socket.
    assert get(opened, "/healthz") == 200
    assert opened.sock is sock

    # A bad pair on SIGHUP: logged naming the file, the current one stays.
    new_cert = Path(relay.cert).read_bytes()
    Path(relay.key).write_text("not a key\n")
    relay.proc.send_signal(signal.SIGHUP)
    line = relay.wait_for("not reloaded", 10)
    assert relay.key in line, line
    assert relay.proc.poll() is None
    again = http.client.HTTPSConnection("127.0.0.1", relay.port, context=relay.trust(), timeout=10)
    assert get(again, "/healthz") == 200
    assert ssl.DER_cert_to_PEM_cert(again.sock.getpeercert(binary_form=True)).strip() \
        == new_cert.decode().strip()


def serve_refusal(tmp: str, *tls: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAXON_TLS_")}
    return subprocess.run(
        [str(binary()), "serve", "--config", str(ROSTER), "--db", f"{tmp}/bad.db",
         "--listen", f"127.0.0.1:{free_port()}", *tls],
        env=env, capture_output=True, text=True, timeout=30,
    )


def test_a_bad_or_missing_pair_at_start_is_one_line_naming_the_file_exit_2():
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = f"{tmp}/cert.pem", f"{tmp}/key.pem"
        self_signed(cert, key)
        missing = f"{tmp}/missing.pem"
        for args, flag, named in (
            (("--tls-cert", missing, "--tls-key", key), "--tls-cert", missing),
            (("--tls-cert", cert, "--tls-key", missing), "--tls-key", missing),
            (("--tls-cert", key, "--tls-key", key), "--tls-cert", key),
            (("--tls-cert", cert, "--tls-key", cert), "--tls-key", cert),
        ):
            out = serve_refusal(tmp, *args)
            assert out.returncode == 2, out
            lines = out.stderr.strip().splitlines()
            assert len(lines) == 1, out.stderr
            assert lines[0].startswith(f"error: {flag} {named}: "), lines[0]
        # One without the other is a usage error.
        out = serve_refusal(tmp, "--tls-cert", cert)
        assert out.returncode == 2 and "--tls-key" in out.stderr, out.stderr
