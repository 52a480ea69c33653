"""The display's gong: a two-tone chime written with the standard library (no sound assets of
unknown origin). `python -m terminvergabe.counter.gong static/counter-gong.wav` regenerates it."""

import io
import math
import struct
import sys
import wave

RATE = 22050


def chime() -> bytes:
    """Two decaying bell tones (E5 then C5), 1.6 s, 16-bit mono WAV."""
    frames = bytearray()
    tones = ((659.25, 0.0), (523.25, 0.55))
    for i in range(int(RATE * 1.6)):
        t = i / RATE
        sample = 0.0
        for frequency, start in tones:
            if t >= start:
                age = t - start
                envelope = math.exp(-3.2 * age) * min(1.0, age * 200)
                sample += envelope * (
                    math.sin(2 * math.pi * frequency * age)
                    + 0.3 * math.sin(2 * math.pi * 2 * frequency * age)
                )
        frames += struct.pack("<h", int(max(-1.0, min(1.0, sample * 0.45)) * 32767))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as target:
        target.write(chime())
