#!/usr/bin/env python3
"""Writes app/src/main/res/raw/klaxon_alarm.wav, the alarm tone bundled for
phones whose own alarm tone is missing or set to silent.

A two-tone siren (960 Hz / 770 Hz, 250 ms each, four times: 2 s) at 90 % of
full scale, 16-bit mono PCM at 22 050 Hz. The phase runs on across tone
changes (no clicks inside), and 5 ms fades at both ends make the loop
seamless: the ring service loops it. Deterministic: re-running it writes the
same bytes. Only Python's standard library (wave, math, struct).

    python3 android/scripts/make-alarm-tone.py
"""
import math
import os
import struct
import wave

RATE = 22050
AMPLITUDE = 0.9
TONES = [960.0, 770.0] * 4
TONE_SECONDS = 0.25
FADE_SECONDS = 0.005

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "app", "src", "main", "res", "raw", "klaxon_alarm.wav")

samples = []
phase = 0.0
for freq in TONES:
    for _ in range(int(RATE * TONE_SECONDS)):
        phase += 2 * math.pi * freq / RATE
        # A sine with a little third harmonic: harsher, easier to hear through a pocket.
        samples.append(math.sin(phase) + 0.3 * math.sin(3 * phase))
peak = max(abs(s) for s in samples)
fade = int(RATE * FADE_SECONDS)
frames = bytearray()
for i, s in enumerate(samples):
    gain = min(1.0, i / fade, (len(samples) - 1 - i) / fade)
    frames += struct.pack("<h", int(round(s / peak * AMPLITUDE * gain * 32767)))

with wave.open(out, "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(RATE)
    w.writeframes(bytes(frames))
print(f"{os.path.normpath(out)}: {len(samples) / RATE:.2f} s, {len(frames)} bytes of PCM")
