"""Draws the Splunk app icons in static/ (a "k" on a rounded tile) with stdlib zlib/struct only.

Splunk wants four PNGs: appIcon (36x36), appIcon_2x (72x72) and the Alt pair for dark backgrounds.
The PNGs are committed; run ``python tests/packaging/make_icons.py`` to redraw them after a design
change. ``png_size`` is what the tests use to read a PNG's dimensions back.
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

RGBA = tuple[int, int, int, int]
Segment = tuple[float, float, float, float]

TEAL: RGBA = (14, 124, 134, 255)
WHITE: RGBA = (255, 255, 255, 255)
# The letter "k" as three strokes in unit coordinates (x0, y0, x1, y1), y pointing down.
GLYPH: tuple[Segment, ...] = ((0.33, 0.2, 0.33, 0.8), (0.36, 0.58, 0.69, 0.3), (0.47, 0.5, 0.7, 0.8))
STROKE = 0.06  # half-width of a stroke, in tile units
CORNER = 0.2  # corner radius of the tile
SUPERSAMPLE = 4
ICONS: dict[str, tuple[int, RGBA, RGBA]] = {
    "appIcon.png": (36, TEAL, WHITE),
    "appIcon_2x.png": (72, TEAL, WHITE),
    "appIconAlt.png": (36, WHITE, TEAL),
    "appIconAlt_2x.png": (72, WHITE, TEAL),
}


def _segment_distance(x: float, y: float, seg: Segment) -> float:
    x0, y0, x1, y1 = seg
    dx, dy = x1 - x0, y1 - y0
    t = max(0.0, min(1.0, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (x0 + t * dx), y - (y0 + t * dy))


def _inside_tile(x: float, y: float) -> bool:
    cx = min(max(x, CORNER), 1 - CORNER)
    cy = min(max(y, CORNER), 1 - CORNER)
    return math.hypot(x - cx, y - cy) <= CORNER


def _pixel(px: int, py: int, size: int, tile: RGBA, ink: RGBA) -> RGBA:
    """Averages SUPERSAMPLE^2 samples so edges are anti-aliased."""
    n = SUPERSAMPLE
    acc = [0.0, 0.0, 0.0, 0.0]
    for sy in range(n):
        for sx in range(n):
            x = (px + (sx + 0.5) / n) / size
            y = (py + (sy + 0.5) / n) / size
            if not _inside_tile(x, y):
                continue
            on_glyph = min(_segment_distance(x, y, s) for s in GLYPH) <= STROKE
            color = ink if on_glyph else tile
            for i in range(3):
                acc[i] += color[i] * color[3]
            acc[3] += color[3]
    alpha = acc[3] / (n * n)
    if alpha == 0:
        return (0, 0, 0, 0)
    return (
        round(acc[0] / acc[3]),
        round(acc[1] / acc[3]),
        round(acc[2] / acc[3]),
        round(alpha),
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def render_png(size: int, tile: RGBA, ink: RGBA) -> bytes:
    """One 8-bit RGBA PNG (filter 0 on every row)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(_pixel(px, py, size, tile, ink)) for px in range(size)) for py in range(size)
    )
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b"")
    )


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; raises ValueError if it is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def main(static_dir: Path) -> None:
    static_dir.mkdir(parents=True, exist_ok=True)
    for name, (size, tile, ink) in ICONS.items():
        (static_dir / name).write_bytes(render_png(size, tile, ink))
        print(f"wrote {static_dir / name} ({size}x{size})")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "static")
