"""Small real inputs for library tests: a PDF made with reportlab, a logo, a background, MJML."""

from __future__ import annotations

import io

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def brochure(pages: int = 2) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for n in range(1, pages + 1):
        c.setFont("Helvetica", 24)
        c.drawString(72, 700, f"Nimbus brochure, page {n}")
        c.showPage()
    c.save()
    return out.getvalue()


def png(width: int = 200, height: int = 80, color: tuple[int, int, int] = (220, 20, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


NEWSLETTER = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello from {{ partner_name }}</mj-text>
<mj-text>Call {{ contact.phone }}</mj-text>
</mj-column></mj-section></mj-body></mjml>"""
