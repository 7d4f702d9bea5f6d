"""scripts/screenshot_page.py: light and dark screenshots of the real page with headless Chromium."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshot_page.py"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def read_png(path: Path) -> Tuple[int, int, List[bytes]]:
    """Width, height and unfiltered rows of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace, color in (2, 6)) == (8, 0, True), (depth, color, interlace)
    channels = 3 if color == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    rows: List[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[x] = (line[x] + best) & 0xFF
        rows.append(bytes(line if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3)))
        previous = line
    return width, height, rows


def mean_brightness(rows: List[bytes]) -> float:
    total = sum(sum(row) for row in rows)
    return total / sum(len(row) for row in rows)


@pytest.mark.http
@pytest.mark.skipif(
    not any(shutil.which(name) for name in BROWSERS), reason="needs Chromium (apt-get install chromium)"
)
def test_the_script_takes_a_light_and_a_dark_screenshot(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--width", "480", "--height", "360"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    light = read_png(tmp_path / "maintenance-page-light.png")
    dark = read_png(tmp_path / "maintenance-page-dark.png")
    assert light[:2] == dark[:2] == (480, 360)
    assert mean_brightness(light[2]) > 200, "a light page"
    assert mean_brightness(dark[2]) < 60, "the dark scheme applied (prefers-color-scheme: dark)"


def test_without_a_browser_the_script_says_what_it_needs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PATH": str(tmp_path), "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 2
    assert "needs headless Chromium" in result.stderr
    assert "apt-get install chromium" in result.stderr
    assert list(tmp_path.iterdir()) == []
