"""Regenerate the demo pictures in prm_domain/demo_files/ (made by the project, CC0).

newsletter.mjml there is written by hand.

Run: .venv/bin/python scripts/make_demo_files.py. The outputs are committed; the demo loader only
reads them, so the domain needs neither reportlab nor Pillow to load the demo.
"""

from __future__ import annotations

import io
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

OUT = Path(__file__).resolve().parent.parent / "prm_domain" / "demo_files"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
NAVY, SKY = HexColor("#0f2a5f"), HexColor("#2f80ed")


def photo(width: int, height: int, seed: int) -> Image.Image:
    """A soft landscape-like picture: sky gradient, hills, blur (stands in for a photo)."""
    rnd = random.Random(seed)  # noqa: S311 - wobbly hills, not secrets
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for y in range(height):
        t = y / height
        draw.line(
            [(0, y), (width, y)], fill=(int(40 + 120 * t), int(110 + 90 * t), int(200 - 40 * t))
        )
    for layer in range(3):
        base = height * (0.55 + 0.12 * layer)
        color = (30 + 30 * layer, 90 + 40 * layer, 60 + 10 * layer)
        points = [(0, height)]
        for x in range(0, width + 40, 40):
            points.append((x, base + 40 * math.sin(x / (90 + 30 * layer) + rnd.random() * 3)))
        points.append((width, height))
        draw.polygon(points, fill=color)
    return img.filter(ImageFilter.GaussianBlur(1.2))


def brochure() -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)  # reproducible bytes
    c.setTitle("Nimbus Cloud Platform brochure")
    c.setAuthor("Nimbus Cloud")
    titles = [
        "Nimbus Cloud Platform",
        "Why teams choose Nimbus",
        "Security built in",
        "Get started",
    ]
    w, h = A4
    for n, title in enumerate(titles, 1):
        if n == 3:
            c.setPageSize(landscape(A4))
            w, h = landscape(A4)
        else:
            c.setPageSize(A4)
            w, h = A4
        c.setFillColor(NAVY)
        c.rect(0, h - 110, w, 110, stroke=0, fill=1)
        c.setFillColor(white)
        c.setFont("Helvetica-Bold", 26)
        c.drawString(40, h - 70, title)
        buf = io.BytesIO()
        photo(1200, 600, n).save(buf, format="JPEG", quality=80)
        c.drawImage(
            ImageReader(io.BytesIO(buf.getvalue())),
            40,
            h - 140 - (w - 80) / 2,
            w - 80,
            (w - 80) / 2,
        )
        c.setFillColor(HexColor("#222222"))
        c.setFont("Helvetica", 12)
        y = h - 170 - (w - 80) / 2
        for line in [
            "Run every workload on one platform: the speed of the cloud, the control of your own.",
            "Your Nimbus partner plans, migrates and runs it, and stays your first contact.",
            "Ask your partner about a free architecture review this quarter.",
        ]:
            c.drawString(40, y, line)
            y -= 20
        c.setFillColor(SKY)
        c.rect(0, 0, w, 70, stroke=0, fill=1)  # the footer band where the partner's contact goes
        c.showPage()
    c.save()
    return out.getvalue()


def social() -> bytes:
    img = photo(1200, 627, 7)
    draw = ImageDraw.Draw(img, "RGBA")
    draw.rectangle([0, 0, 1200, 627], fill=(15, 42, 95, 120))
    font = ImageFont.truetype(FONT, 64)
    draw.text((60, 240), "Nimbus Cloud 5.0", font=font, fill="white")
    draw.text((60, 330), "is here.", font=ImageFont.truetype(FONT, 44), fill=(210, 225, 255))
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def logo(initials: str, name: str, color: str, dark: bool) -> bytes:
    img = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    fg = "white" if dark else color
    draw.rounded_rectangle(
        [10, 10, 190, 190], radius=36, fill=color if not dark else None, outline=fg, width=8
    )
    draw.text(
        (100, 100),
        initials,
        font=ImageFont.truetype(FONT, 80),
        fill="white" if not dark else fg,
        anchor="mm",
    )
    draw.text((220, 100), name, font=ImageFont.truetype(FONT, 46), fill=fg, anchor="lm")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


LOGOS = {
    "alpine-it": ("AI", "Alpine IT", "#1f6f43"),
    "bluewave-msp": ("BW", "Bluewave", "#1c5fb8"),
    "coral": ("CI", "Coral", "#d2553a"),
    "delta-dist": ("DD", "Delta", "#6b3fa0"),
    "everest-software": ("ES", "Everest", "#2b3a4a"),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "brochure.pdf").write_bytes(brochure())
    (OUT / "social-launch.png").write_bytes(social())
    for key, (initials, name, color) in LOGOS.items():
        (OUT / f"logo-{key}.png").write_bytes(logo(initials, name, color, dark=False))
        (OUT / f"logo-{key}-dark.png").write_bytes(logo(initials, name, color, dark=True))
    (OUT / "LICENSE.txt").write_text(
        "The demo files in this folder were made by the Cobrand project: CC0 1.0.\n"
    )


if __name__ == "__main__":
    main()
