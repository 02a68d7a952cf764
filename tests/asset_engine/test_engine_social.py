"""Branding raster images."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from asset_engine import BrandKit, Zone, render_social

from .engine_helpers import make_brand, matching_bbox, png


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_logo_fills_its_box_keeping_aspect_and_alignment(brand: BrandKit) -> None:
    template = png((255, 255, 255), size=(1200, 627))
    zone = Zone("logo", (0.6, 0.05, 0.35, 0.2), align="right")
    out = _open(render_social(template, brand, [zone]))
    assert out.size == (1200, 627)
    found = matching_bbox(out, "red")
    assert found is not None
    box_w, box_h = 0.35 * 1200, 0.2 * 627
    scale = min(box_w / 200, box_h / 100)
    want = (
        (0.95 * 1200 - 200 * scale) / 1200,
        (0.05 * 627 + (box_h - 100 * scale) / 2) / 627,
        0.95,
        (0.05 * 627 + (box_h + 100 * scale) / 2) / 627,
    )
    assert found == pytest.approx(want, abs=2 / 627)


def test_text_stays_in_its_box_and_qr_is_drawn(brand: BrandKit) -> None:
    template = png((255, 255, 255), size=(1200, 627))
    kit = make_brand(partner_name="Очень длинное название партнёра " * 10)
    text_zone = Zone("text", (0.05, 0.8, 0.4, 0.1), text="{{ partner }}", color="#000000")
    qr_zone = Zone("qr", (0.8, 0.6, 0.15, 0.35))
    out = _open(render_social(template, kit, [text_zone, qr_zone]))
    left = out.crop((0, 0, 600, 627))
    ink = matching_bbox(left, "dark")
    assert ink is not None
    assert ink[0] * 600 >= 0.05 * 1200 - 1 and ink[2] * 600 <= 0.45 * 1200 + 1
    assert ink[1] * 627 >= 0.8 * 627 - 1 and ink[3] * 627 <= 0.9 * 627 + 1
    right = out.crop((600, 0, 1200, 627))
    qr = matching_bbox(right, "dark")
    assert qr is not None
    assert (600 + qr[0] * 600) >= 0.8 * 1200 - 1 and qr[3] * 627 <= 0.95 * 627 + 1


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_output_formats(brand: BrandKit, fmt: str) -> None:
    template = png((200, 200, 200), size=(300, 200))
    data = render_social(template, brand, [Zone("logo", (0, 0, 0.5, 0.5))], format=fmt)
    assert Image.open(io.BytesIO(data)).format == fmt


def test_transparent_template_keeps_its_alpha(brand: BrandKit) -> None:
    template = png((0, 0, 0, 0), size=(300, 200), mode="RGBA")
    data = render_social(template, brand, [Zone("logo", (0, 0, 0.5, 0.5))])
    image = Image.open(io.BytesIO(data))
    assert image.mode == "RGBA"
    assert image.getpixel((299, 199))[3] == 0  # type: ignore[index]


def test_png_output_is_lossless_and_valid() -> None:
    """The fast PNG writer: Pillow reads back exactly the pixels, alpha included."""
    import io as _io

    from PIL import Image as _Image

    from asset_engine._png import encode_png

    for mode in ("RGB", "RGBA"):
        image = _Image.effect_noise((123, 45), 30).convert(mode)
        back = _Image.open(_io.BytesIO(encode_png(image)))
        back.load()
        assert back.mode == mode and back.size == (123, 45)
        assert back.tobytes() == image.tobytes()
