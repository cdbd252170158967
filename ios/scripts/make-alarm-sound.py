#!/usr/bin/env python3
"""Writes Klaxon/Resources/klaxon.caf: the alarm, a 2-second two-tone
pattern, 16-bit little-endian linear PCM mono at 22,050 Hz in a Core Audio
Format file. iOS plays notification sounds only from CAF/AIFF/WAV files of
linear PCM, MA4, u-law or a-law, at most 30 s long; the app's in-app loop
(AlarmPlayer) replays the same file. Deterministic: running it again gives
the same bytes, so the committed file can be checked against it."""
import math
import struct
import sys
from pathlib import Path

RATE = 22050
SECONDS = 2.0


def samples() -> bytes:
    out = bytearray()
    for i in range(int(RATE * SECONDS)):
        t = i / RATE
        beat = int(t / 0.25)          # eight 250 ms beats
        within = t - beat * 0.25
        freq = 880.0 if beat % 2 == 0 else 660.0
        # 200 ms tone, 50 ms gap, 5 ms fades so it does not click.
        if within >= 0.2:
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
