"""Small real media files for the browser tests, made on the spot (no binary fixtures).

``webm_video`` encodes a VP8 video with PyAV (FFmpeg's libraries, shipped in its wheel) with a
keyframe every second, so a browser can seek to any second; ``png_image`` writes a PNG with the
standard library.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from fractions import Fraction


def webm_video(seconds: int = 6, fps: int = 25, width: int = 320, height: int = 240) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 2_000_000  # a few hundred KiB per second: several GridFS chunks
        stream.codec_context.gop_size = fps
        stream.time_base = Fraction(1, fps)
        noise = random.Random(5).randbytes(width * height * 3 * 2)
        for i in range(seconds * fps):
            # shifting noise is hard to compress, which gives the file some size; a red bar
            # grows from the left so every second looks different
            offset = (i * 3 * 97) % (width * height * 3)
            img = bytearray(noise[offset : offset + width * height * 3])
            bar = (i * width) // (seconds * fps)
            for y in range(height):
                img[y * width * 3 : (y * width + bar) * 3] = b"\xff\x00\x00" * bar
            frame = av.VideoFrame(width, height, "rgb24")
            frame.planes[0].update(bytes(img))
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def png_image(
    width: int = 64, height: int = 48, rgb: tuple[int, int, int] = (0, 128, 255)
) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )
