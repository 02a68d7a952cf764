"""Branding raster images (social posts, banners) with Pillow."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from ._cache import ByteBoundedCache, digest, image_bytes
from ._colors import parse_color
from ._errors import AssetError, InvalidImageError
from ._fonts import BOLD, REGULAR, font_path
from ._images import load_logo, load_template_image
from ._layout import (
    MIN_TEXT_SIZE,
    Rect,
    layout_text,
    place_logo,
    qr_code,
    qr_square,
    zone_rect,
)
from ._model import BrandKit, Zone
from ._png import encode_png
from ._text import render_zone_text

MIN_FONT_PX = MIN_TEXT_SIZE["image"]
_OUTPUT_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "JPG": "JPEG", "WEBP": "WEBP"}


@functools.lru_cache(maxsize=128)
def _font(bold: bool, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(BOLD if bold else REGULAR)), size)


# Logos at the size a zone draws them: (logo digest, width, height) -> RGBA image.
_SCALED_LOGOS: ByteBoundedCache[Image.Image] = ByteBoundedCache(
    "scaled logos", 32 * 2**20, image_bytes
)


def _scale_logo(data: bytes, width: int, height: int) -> Image.Image:
    logo = load_logo(data).convert("RGBA")
    # reducing_gap lets Pillow shrink big logos by whole factors first, which is much faster
    # than a full LANCZOS pass and indistinguishable at the final size.
    return logo.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _scaled_logo(data: bytes, width: int, height: int) -> Image.Image:
    return _SCALED_LOGOS.get(
        (digest(data), width, height), lambda: _scale_logo(data, width, height)
    )


def _layer(box: Rect) -> tuple[Image.Image, tuple[int, int]]:
    # Drawing into a box-sized layer and pasting it clips everything to the box.
    x0, y0 = int(box.x), int(box.y)
    x1, y1 = int(box.x + box.w + 0.999), int(box.y + box.h + 0.999)
    return Image.new("RGBA", (max(1, x1 - x0), max(1, y1 - y0)), (0, 0, 0, 0)), (x0, y0)


def _draw_zone(canvas: Image.Image, zone: Zone, brand: BrandKit, text: str) -> None:
    width, height = canvas.size
    box = zone_rect(zone, width, height)
    # Whole pixels inside the fractional box, so nothing is drawn past its edge.
    inner = Rect(
        float(int(box.x + 0.999)),
        float(int(box.y + 0.999)),
        float(int(box.x + box.w) - int(box.x + 0.999)),
        float(int(box.y + box.h) - int(box.y + 0.999)),
    )
    if inner.w < 1 or inner.h < 1:
        return
    layer, origin = _layer(inner)
    ox, oy = origin
    if zone.kind == "logo":
        data = brand.logo_on_dark if zone.on_dark and brand.logo_on_dark else brand.logo
        logo = load_logo(data)
        place = place_logo(inner, logo.width, logo.height, zone)
        w, h = max(1, round(place.w)), max(1, round(place.h))
        w, h = min(w, int(inner.w)), min(h, int(inner.h))
        scaled = _scaled_logo(data, w, h)
        layer.alpha_composite(scaled, (round(place.x - ox), round(place.y - oy)))
    elif zone.kind == "text":
        fill = (*parse_color(zone.color or brand.primary_color), 255)
        draw = ImageDraw.Draw(layer)
        for line in layout_text(text, inner, zone, MIN_FONT_PX):
            draw.text(
                (line.x - ox, line.baseline - oy),
                line.text,
                font=_font(zone.bold, round(line.size * 4) / 4),
                fill=fill,
                anchor="ls",
            )
    else:
        code = qr_code(brand.tracking_url)
        square = qr_square(inner, zone)
        draw = ImageDraw.Draw(layer)
        sx, sy = square.x - ox, square.y - oy
        draw.rectangle((sx, sy, sx + square.w - 1, sy + square.h - 1), fill=(255, 255, 255, 255))
        fill = (*parse_color(zone.color or "#000000"), 255)
        cell = square.w / code.size
        for r, c, n in code.runs:
            x0, y0 = sx + c * cell, sy + r * cell
            draw.rectangle(
                (round(x0), round(y0), round(x0 + n * cell) - 1, round(y0 + cell) - 1), fill=fill
            )
    canvas.alpha_composite(layer, origin)


def render_social(
    template: bytes,
    brand: BrandKit,
    zones: Sequence[Zone],
    format: str = "PNG",
) -> bytes:
    """Brand an image template (PNG, JPEG, WebP, GIF); returns PNG, JPEG or WebP bytes."""
    if not isinstance(brand, BrandKit):
        raise AssetError("brand must be a BrandKit.")
    out_format = _OUTPUT_FORMATS.get(str(format).upper())
    if out_format is None:
        raise InvalidImageError(f"Unknown output format {format!r}: use 'PNG', 'JPEG' or 'WEBP'.")
    zones = list(zones)
    texts = {i: render_zone_text(z.text, brand) for i, z in enumerate(zones) if z.kind == "text"}
    canvas, has_alpha = load_template_image(template)
    for i, zone in enumerate(zones):
        _draw_zone(canvas, zone, brand, texts.get(i, ""))
    if out_format == "PNG":
        return encode_png(canvas if has_alpha else canvas.convert("RGB"))
    out = io.BytesIO()
    if out_format == "JPEG":
        canvas.convert("RGB").save(out, format="JPEG", quality=90)
    else:
        canvas.save(out, format="WEBP", quality=90)
    return out.getvalue()
