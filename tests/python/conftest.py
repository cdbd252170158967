"""What the Python tests of a real `klaxon serve` share: where the repository,
the relay fixture roster and the binary are, a free loopback port and a
throwaway TLS pair. Test modules import these by name
(`from conftest import free_port`); pytest puts this folder on the path."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROSTER = ROOT / "tests" / "fixtures" / "relay.toml"
KEY = "0123456789abcdef0123456789abcdef"
BINARY = ROOT / "target" / "debug" / "klaxon"


def free_port() -> int:
    """A loopback port that was free a moment ago (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(cert: str, key: str) -> None:
    """A throwaway P-256 certificate for 127.0.0.1, made by `openssl`."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )


def binary() -> Path:
    """The debug `klaxon` binary, built first if it is not there yet."""
    if not BINARY.exists():
        subprocess.run(["cargo", "build", "-p", "klaxon"], cwd=ROOT, check=True)
    return BINARY
