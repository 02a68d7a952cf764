"""Benchmark: PDF co-branding against the real peers, side by side in one run.

Run:  .venv/bin/python bench/bench_cobrand_pdf.py [--rounds N] [--docs heavy,light,light500]

Three documents: the heavy 50-page A4 photo brochure (5.4 MB), a light brochure (50 letter pages,
one small JPEG and 20 lines of text each) and 500 light pages. Each gets a logo (top right) and
one contact line on every page, by:

- ``asset_engine.cobrand_pdf`` as the app calls it (incremental update; the template was
  sanitised at upload, so ``sanitized=True``), with brand kits that repeat (a partner brands
  many documents) and with a new brand kit on every call (nothing prepared);
- pypdf's documented stamp recipe: the overlay drawn once with reportlab, ``merge_page`` on
  every page, ``write``;
- pikepdf: the overlay drawn once, ``Page.add_overlay`` on every page with one shared Form
  XObject, ``save``;
- ``qpdf in.pdf --overlay stamp.pdf --repeat=1 -- out.pdf`` (the stamp drawn with reportlab,
  written to a file, the command started as a process; process start included);
- floors: pikepdf open + save and pypdf read + write, nothing changed.

The approaches take turns within each round (the machine may be shared with other work: they
then share the same load) and the medians are printed. Every output is checked afterwards:
it opens with pypdf and PDFium, has the right page count, and every page, drawn by PDFium,
shows the logo's colour inside the logo zone and nowhere near the bottom-right corner.

Not a test: numbers depend on the machine. Also times social images and email personalisation
(``--no-other`` skips them).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pypdf
import pypdfium2 as pdfium
import reportlab
from PIL import Image, ImageDraw, ImageFilter
from pypdf import PdfReader, PdfWriter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

import asset_engine
from asset_engine import (
    BrandKit,
    Contact,
    Zone,
    cobrand_pdf,
    compile_email,
    personalise_email,
    render_social,
)
from asset_engine._fonts import pdf_font

A4 = (595.0, 842.0)
LETTER = (612.0, 792.0)
LOGO_BOX = (0.62, 0.03, 0.33, 0.07)  # x, y, w, h as fractions, origin top-left
LINE_BOX = (0.05, 0.94, 0.6, 0.025)
ZONES = [
    Zone("logo", LOGO_BOX, align="right"),
    Zone("text", LINE_BOX, text="{{ partner }} · {{ contact.phone }} · {{ contact.email }}"),
]
# Saturated colours, far from white paper, black text and each other: the check looks for them.
PALETTE = [(214, 40, 40), (30, 140, 60), (20, 90, 200), (230, 120, 0), (140, 40, 170)]
MJML = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "mjml" / "austin.mjml"


def photo(seed: int, size: tuple[int, int] = (1400, 933)) -> bytes:
    """A photo-like JPEG: smooth colour fields, shapes and grain (compresses like a photo)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fixtures, not secrets
    small = Image.new("RGB", (16, 11))
    small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(16 * 11)])
    image = small.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(size[0] // 35, size[0] // 5)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(max(1, size[0] // 230)))
    grain = Image.effect_noise(size, 28).convert("RGB")
    image = Image.blend(image, grain, 0.12)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def heavy_brochure(pages: int = 50) -> bytes:
    """50 A4 pages, two 1400x933 JPEGs each (25 distinct), a heading, body text, a link and
    an outline entry: 5.4 MB."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    photos = [photo(i) for i in range(25)]
    for n in range(pages):
        canvas.setFont("Helvetica-Bold", 22)
        canvas.drawString(50, 790, f"Vendor brochure - chapter {n + 1}")
        canvas.drawImage(ImageReader(io.BytesIO(photos[n % 25])), 50, 420, 495, 330)
        canvas.drawImage(ImageReader(io.BytesIO(photos[(n * 7 + 3) % 25])), 50, 250, 240, 160)
        canvas.setFont("Helvetica", 10)
        text = canvas.beginText(300, 400)
        for line in range(14):
            text.textLine(f"Body copy line {line + 1} describing the product, page {n + 1}.")
        canvas.drawText(text)
        canvas.linkURL("https://vendor.example/", (50, 780, 300, 810))
        canvas.bookmarkPage(f"p{n}")
        canvas.addOutlineEntry(f"Chapter {n + 1}", f"p{n}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def light_brochure(pages: int) -> bytes:
    """Letter pages, each with one small JPEG (10 distinct, 320x200) and 20 lines of text."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=LETTER)
    photos = [photo(100 + i, (320, 200)) for i in range(10)]
    for n in range(pages):
        canvas.drawImage(ImageReader(io.BytesIO(photos[n % 10])), 72, 520, 240, 150)
        canvas.setFont("Helvetica", 10)
        text = canvas.beginText(72, 480)
        for line in range(20):
            text.textLine(f"Line {line + 1} of page {n + 1}: what the product does for you.")
        canvas.drawText(text)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def flat_graphic(size: tuple[int, int]) -> bytes:
    """A designed social card: flat colour blocks and a headline, saved as PNG."""
    image = Image.new("RGB", size, (245, 246, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] // 2, size[1]), fill=(26, 60, 143))
    draw.ellipse((700, 120, 1100, 520), fill=(255, 196, 0))
    draw.text((60, 200), "Spring launch - join the webinar", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def logo(seed: int) -> bytes:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((10, 10, 590, 190), 40, fill=(*PALETTE[seed % len(PALETTE)], 255))
    draw.text((60, 70), f"PARTNER {seed}", fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def brand(seed: int) -> BrandKit:
    return BrandKit(
        partner_name=f"Partner Number {seed}",
        logo=logo(seed),
        contact=Contact(
            name="Ιωάννα Παπαδοπούλου",
            phone=f"+30 210 555 {seed:04d}",
            email=f"sales{seed}@partner.example",
            website=f"partner{seed}.example",
        ),
        primary_color="#1a3c8f",
        tracking_url=f"https://cobrand.example/t/{seed:08x}",
    )


def stamp_pdf(kit: BrandKit, size: tuple[float, float]) -> bytes:
    """The peers' overlay: one reportlab page with the logo and the contact line, drawn with
    the same font (DejaVu Sans, embedded as a subset) and at the same places as the zones."""
    width, height = size
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=size, pageCompression=1)
    x, y, w, h = LOGO_BOX
    canvas.drawImage(
        ImageReader(io.BytesIO(kit.logo)),
        width * x,
        height * (1 - y - h),
        width * w,
        height * h,
        preserveAspectRatio=True,
        anchor="e",
        mask="auto",
    )
    x, y, w, h = LINE_BOX
    canvas.setFillColorRGB(0.1, 0.24, 0.56)
    canvas.setFont(pdf_font(False), 9)
    text = f"{kit.partner_name} · {kit.contact.phone} · {kit.contact.email}"
    canvas.drawString(width * x, height * (1 - y - h) + 3, text)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def pypdf_stamp(template: bytes, kit: BrandKit, size: tuple[float, float]) -> bytes:
    """pypdf's documented recipe ("Stamping / watermarking"): merge_page of one stamp page."""
    stamp = PdfReader(io.BytesIO(stamp_pdf(kit, size))).pages[0]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(template)))
    for page in writer.pages:
        page.merge_page(stamp, over=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pikepdf_overlay(template: bytes, kit: BrandKit, size: tuple[float, float]) -> bytes:
    """pikepdf: one Form XObject from the stamp page, add_overlay on every page, save."""
    with (
        pikepdf.open(io.BytesIO(template)) as pdf,
        pikepdf.open(io.BytesIO(stamp_pdf(kit, size))) as stamp,
    ):
        form = pdf.copy_foreign(stamp.pages[0].as_form_xobject())
        for page in pdf.pages:
            page.add_overlay(form, pikepdf.Rectangle(page.mediabox))
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def qpdf_overlay(
    src: Path, workdir: Path, kit: BrandKit, size: tuple[float, float], qpdf: str
) -> bytes:
    stamp = workdir / "stamp.pdf"
    out = workdir / "out.pdf"
    stamp.write_bytes(stamp_pdf(kit, size))
    subprocess.run(
        [qpdf, str(src), "--overlay", str(stamp), "--repeat=1", "--", str(out)], check=True
    )
    return out.read_bytes()


def pikepdf_open_save(template: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(template)) as pdf:
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def pypdf_read_write(template: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(template)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def check(pdf: bytes, pages: int, colour: tuple[int, int, int] | None) -> str:
    """'ok' if the file opens with pypdf and PDFium, has ``pages`` pages and, when ``colour``
    is given, every page shows that colour in the logo zone and not at the bottom right;
    otherwise what is wrong."""
    if len(PdfReader(io.BytesIO(pdf)).pages) != pages:
        return "pypdf: wrong page count"
    document = pdfium.PdfDocument(pdf)
    try:
        if len(document) != pages:
            return "PDFium: wrong page count"
        if colour is None:
            return "ok"
        for number in range(pages):
            page = document[number]
            image = page.render(scale=150 / page.get_width()).to_pil().convert("RGB")
            w, h = image.size
            x, y, bw, bh = LOGO_BOX
            inside = image.crop((int(x * w), int(y * h), int((x + bw) * w), int((y + bh) * h) + 1))
            corner = image.crop((int(0.7 * w), int(0.8 * h), w, h))
            if not _has(inside, colour):
                return f"no logo on page {number + 1}"
            if _has(corner, colour):
                return f"logo colour outside the logo zone on page {number + 1}"
    finally:
        document.close()
    return "ok"


def _has(image: Image.Image, colour: tuple[int, int, int]) -> bool:
    r0, g0, b0 = colour
    data = image.tobytes()
    return any(
        abs(data[i] - r0) + abs(data[i + 1] - g0) + abs(data[i + 2] - b0) < 60
        for i in range(0, len(data), 3)
    )


def interleaved(
    rounds: int, cases: dict[str, Callable[[int], bytes]]
) -> dict[str, tuple[float, bytes, int]]:
    """Median ms per case; the cases take turns in each round so that they share whatever
    else the machine is doing instead of one of them catching a busy spell alone. Returns the
    median, the last output and the round that made it."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    outputs: dict[str, tuple[bytes, int]] = {}
    for i in range(rounds + 1):
        for name, call in cases.items():
            start = time.perf_counter()
            out = call(i)
            elapsed = time.perf_counter() - start
            if i:  # round 0 warms up: imports, font parsing, first-use caches
                times[name].append(elapsed)
            outputs[name] = (out, i)
    return {name: (statistics.median(t) * 1000, *outputs[name]) for name, t in times.items()}


def bench_document(
    label: str, template: bytes, size: tuple[float, float], pages: int, rounds: int
) -> list[str]:
    qpdf = shutil.which("qpdf")
    workdir = Path(tempfile.mkdtemp(prefix="bench-cobrand-"))
    src = workdir / "in.pdf"
    src.write_bytes(template)
    repeat = 3  # the partners that come back, round after round
    cold = 1000  # a new partner every call: nothing about its brand kit was prepared before
    kits = {i: brand(i) for i in range(repeat)}
    # Made before timing (a new logo PNG is not the engine's work): same colour, new bytes.
    cold_kits = {i: brand(cold + i * len(PALETTE)) for i in range(rounds + 1)}

    cases: dict[str, Callable[[int], bytes]] = {
        "cobrand_pdf": lambda i: cobrand_pdf(template, kits[i % repeat], ZONES, sanitized=True),
        "cobrand_pdf, new brand kit each call": lambda i: cobrand_pdf(
            template, cold_kits[i], ZONES, sanitized=True
        ),
        "cobrand_pdf, sanitized=False": lambda i: cobrand_pdf(template, kits[i % repeat], ZONES),
        "pypdf stamp recipe (merge_page)": lambda i: pypdf_stamp(template, kits[i % repeat], size),
        "pikepdf add_overlay + save": lambda i: pikepdf_overlay(template, kits[i % repeat], size),
    }
    if qpdf:
        cases["qpdf --overlay (command line)"] = lambda i: qpdf_overlay(
            src, workdir, kits[i % repeat], size, qpdf
        )
    cases["pikepdf open + save (floor)"] = lambda i: pikepdf_open_save(template)
    cases["pypdf read + write (floor)"] = lambda i: pypdf_read_write(template)
    try:
        results = interleaved(rounds, cases)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    pike = results["pikepdf add_overlay + save"][0]
    lines = [
        f"### {label}: {pages} pages, {len(template) / 1e6:.2f} MB",
        "",
        "| approach | median ms | vs pikepdf overlay | output MB | output checked |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, (ms, out, i) in results.items():
        if name.startswith("cobrand_pdf, new"):
            colour: tuple[int, int, int] | None = PALETTE[(cold + i * len(PALETTE)) % len(PALETTE)]
        elif "floor" in name:
            colour = None
        else:
            colour = PALETTE[(i % repeat) % len(PALETTE)]
        verdict = check(out, pages, colour)
        speed = f"{pike / ms:.2f}x"
        lines.append(f"| {name} | {ms:.1f} | {speed} | {len(out) / 1e6:.2f} | {verdict} |")
    if not qpdf:
        lines.append("| qpdf --overlay (command line) | - | - | - | qpdf not installed |")
    lines.append("")
    return lines


def other_formats(rounds: int) -> list[str]:
    kits = {i: brand(i) for i in range(rounds + 1)}

    def timed(call: Callable[[int], object]) -> float:
        call(rounds)
        times = []
        for i in range(rounds):
            start = time.perf_counter()
            call(i)
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000

    lines = []
    social_zones = [
        Zone("logo", (0.72, 0.05, 0.24, 0.15), align="right"),
        Zone("text", (0.04, 0.86, 0.6, 0.09), text="{{ partner }} · {{ contact.phone }}"),
        Zone("qr", (0.86, 0.7, 0.11, 0.26)),
    ]
    for label, template in (("photo", photo(99, (1200, 627))), ("flat", flat_graphic((1200, 627)))):
        for fmt in ("PNG", "JPEG"):
            ms = timed(lambda i, f=fmt, t=template: render_social(t, kits[i], social_zones, f))
            lines.append(f"render_social 1200x627 {label} -> {fmt}: {ms:.1f} ms (goal < 50 ms)")
    if MJML.is_file():
        source = MJML.read_text(encoding="utf-8")
        ms = timed(lambda i: compile_email(source))
        lines.append(f"compile_email ({MJML.name}): {ms:.2f} ms")
        compiled = compile_email(source)
        ms = timed(lambda i: personalise_email(compiled, kits[i], {}))
        lines.append(f"personalise_email once compiled: {ms:.3f} ms (goal < 5 ms)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--docs", default="heavy,light,light500")
    parser.add_argument("--no-other", action="store_true", help="PDF only")
    args = parser.parse_args()

    qpdf = shutil.which("qpdf")
    qpdf_version = (
        subprocess.run(
            [qpdf, "--version"], capture_output=True, text=True, check=True
        ).stdout.splitlines()[0]
        if qpdf
        else "qpdf absent"
    )
    print(
        f"python {platform.python_version()}, asset_engine {asset_engine.__version__}, "
        f"pypdf {pypdf.__version__}, pikepdf {pikepdf.__version__} "
        f"(libqpdf {pikepdf.__libqpdf_version__}), {qpdf_version}, reportlab {reportlab.Version}"
    )
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds\n")
    documents = {
        "heavy": ("Heavy brochure (A4, two photos a page)", lambda: heavy_brochure(), A4, 50),
        "light": (
            "Light brochure (letter, one small JPEG a page)",
            lambda: light_brochure(50),
            LETTER,
            50,
        ),
        "light500": ("500 light pages", lambda: light_brochure(500), LETTER, 500),
    }
    for key in args.docs.split(","):
        label, make, size, pages = documents[key]
        print("\n".join(bench_document(label, make(), size, pages, args.rounds)), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}\n")
    if not args.no_other:
        print("\n".join(other_formats(args.rounds)))


if __name__ == "__main__":
    main()
