"""The HTML report in a real headless Chromium, in every language.

For each language: the page renders, a screenshot is not blank (pixel
variance, PNG decoded with zlib: no imaging library needed), the browser logs
no console message (script errors, or a Content-Security-Policy violation if
the page tried to load anything from outside), and printing to PDF works.

Console messages are read from Chromium's own log (``--enable-logging=stderr
--v=0``), where each one is a line ``INFO:CONSOLE:N] "text", source: URL``; a
self-check renders a page that does make console errors, so that a change of
log format makes this test fail instead of passing silently.

Skipped, with the reason, only when no Chromium is installed (Debian:
``apt-get install -y chromium``; CI installs it).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from conformite.report.render import render_report
from test_report import LANGS, golden_report

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine: apt-get install -y chromium (CI installs it)",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]
CONSOLE = re.compile(r":CONSOLE(?:\(\d+\)|:\d+)\] (.*)")


def chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def console_messages(log: str) -> list[str]:
    return [m.group(1) for m in CONSOLE.finditer(log)]


def png_pixels(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, bytes per pixel, raw unfiltered pixel rows) of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat = 8, b""
    width = height = depth = colour = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    assert depth == 8 and colour in (2, 6), (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    out = bytearray()
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 0xFF
        elif kind == 2:
            row = bytearray((a + b) & 0xFF for a, b in zip(row, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + (left + previous[i]) // 2) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = row[i - bpp] if i >= bpp else 0
                b = previous[i]
                c = previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                row[i] = (row[i] + predictor) & 0xFF
        out += row
        previous = row
    return width, height, bpp, bytes(out)


def grey_variance(data: bytes) -> tuple[float, float]:
    """Variance of the grey level and the share of pixels that are not white."""
    _width, _height, bpp, pixels = png_pixels(data)
    greys = [
        (pixels[i] + pixels[i + 1] + pixels[i + 2]) // 3
        for i in range(0, len(pixels), bpp * 4)  # every 4th pixel is plenty
    ]
    mean = sum(greys) / len(greys)
    variance = sum((g - mean) ** 2 for g in greys) / len(greys)
    inked = sum(1 for g in greys if g < 200) / len(greys)
    return variance, inked


def test_the_console_detector_sees_errors_and_blocked_loads(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "script-src 'unsafe-inline'\"><title>x</title></head><body><p>x</p>"
        "<img src='https://example.invalid/x.png' alt=''>"
        "<script>console.error('boom-from-page')</script></body></html>",
        encoding="utf-8",
    )
    done = chromium(tmp_path, page, f"--screenshot={tmp_path / 'bad.png'}")
    messages = console_messages(done.stderr)
    assert any("boom-from-page" in m for m in messages), done.stderr[-2000:]
    assert any("example.invalid" in m for m in messages), done.stderr[-2000:]


def test_the_blank_detector_sees_a_blank_page(tmp_path: Path) -> None:
    page = tmp_path / "blank.html"
    page.write_text("<!DOCTYPE html><html lang='en'><title>x</title></html>", encoding="utf-8")
    shot = tmp_path / "blank.png"
    chromium(tmp_path, page, "--window-size=800,600", f"--screenshot={shot}")
    variance, inked = grey_variance(shot.read_bytes())
    assert variance < 1 and inked == 0


def assert_drawn_quietly(tmp_path: Path, page: Path) -> None:
    """Chromium draws ``page`` without a console message (no script error, no load the
    policy blocked) and the screenshot is neither blank nor empty of text."""
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, page, "--window-size=1000,1400", f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == [], done.stderr[-4000:]
    variance, inked = grey_variance(shot.read_bytes())
    assert variance > 200, f"screenshot looks blank (variance {variance:.1f})"
    assert inked > 0.01, f"screenshot has almost no text ({inked:.3%} dark pixels)"


@pytest.mark.parametrize("lang", LANGS)
def test_html_report_in_chromium(lang: str, tmp_path: Path) -> None:
    page = tmp_path / f"report.{lang}.html"
    page.write_bytes(render_report("html", golden_report(lang)))
    assert_drawn_quietly(tmp_path, page)

    dom = chromium(tmp_path, page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f'<html lang="{lang}">' in dom.stdout
    assert "<svg" in dom.stdout and 'id="methodology"' in dom.stdout

    pdf = tmp_path / "report.pdf"
    printed = chromium(tmp_path, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert printed.returncode == 0, printed.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 5, f"{pages} pages"


def test_printing_in_chromium_keeps_a4_and_puts_the_full_plan_on_landscape_pages(
    tmp_path: Path,
) -> None:
    """Chromium honours the print CSS too: A4 portrait for the paper, the named landscape
    page for the annex's action plan (``@page wide``)."""
    page = tmp_path / "report.html"
    page.write_bytes(render_report("html", golden_report("fr")))
    pdf = tmp_path / "report.pdf"
    printed = chromium(tmp_path, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert printed.returncode == 0, printed.stderr[-2000:]
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes())
    sizes = {(round(float(w)), round(float(h))) for w, h in boxes}
    assert (595, 842) in sizes, sizes  # A4 portrait, in points
    assert (842, 595) in sizes, sizes  # A4 landscape: the action plan
