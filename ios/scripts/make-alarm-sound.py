#!/usr/bin/env python3
"""Writes Klaxon/Resources/klaxon.caf: the alarm, 27 seconds of a two-tone
pattern (880/660 Hz beats of 200 ms, eight to a burst, a 250 ms breath
between bursts), 16-bit little-endian linear PCM mono at 22,050 Hz in a Core
Audio Format file.

Why 27 s: iOS plays a notification sound once per notification, and only a
file shorter than 30 s — a longer one is replaced by the default sound.
A locked iPhone cannot loop it, so the file's length is how long one push
rings: 2 s is easy to sleep through; 27 s rings nearly as long as iOS allows
and stays clear of the limit (the checks accept 25-29 s). The relay's
re-notification (a new push every minute while a critical page is
unanswered) starts the next ring. The app's in-app loop (AlarmPlayer)
replays the same file while it is in the foreground.

Deterministic: running it again gives the same bytes, so the committed file
is checked against it (ios/scripts/check_project.py), as is its length."""
import math
import struct
import sys
from pathlib import Path

RATE = 22050
SECONDS = 27.0
# One burst: eight 250 ms beats, then a 250 ms breath.
BURST = 2.25


def samples() -> bytes:
    out = bytearray()
    for i in range(int(RATE * SECONDS)):
        t = i / RATE
        in_burst = t % BURST
        beat = int(in_burst / 0.25)   # eight 250 ms beats, then the breath
        within = in_burst - beat * 0.25
        freq = 880.0 if beat % 2 == 0 else 660.0
        # 200 ms tone, 50 ms gap, 5 ms fades so it does not click.
        if beat >= 8 or within >= 0.2:
            amp = 0.0
        else:
            amp = min(1.0, within / 0.005, (0.2 - within) / 0.005) * 0.8
        value = int(amp * 32767 * math.sin(2 * math.pi * freq * t))
        out += struct.pack("<h", value)
    return bytes(out)


def caf(pcm: bytes) -> bytes:
    header = b"caff" + struct.pack(">HH", 1, 0)
    # desc: sample rate, 'lpcm', flags (2 = little-endian integer),
    # bytes/packet, frames/packet, channels, bits/channel.
    desc = struct.pack(">d4sIIIII", float(RATE), b"lpcm", 2, 2, 1, 1, 16)
    desc_chunk = b"desc" + struct.pack(">q", len(desc)) + desc
    data = struct.pack(">I", 0) + pcm  # edit count, then the samples
    data_chunk = b"data" + struct.pack(">q", len(data)) + data
    return header + desc_chunk + data_chunk


def main() -> int:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else \
        Path(__file__).resolve().parent.parent / "Klaxon" / "Resources" / "klaxon.caf"
    target.write_bytes(caf(samples()))
    print(f"wrote {target} ({target.stat().st_size} bytes, {SECONDS} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
