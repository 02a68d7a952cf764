"""Looking at image templates without branding them: size for the zone editor, thumbnails."""

from __future__ import annotations

import io
import math

from PIL import Image

from ._errors import AssetError
from ._images import load_template_image
from ._model import PageSize
from ._pdf import MAX_RENDER_PIXELS, MAX_RENDER_SIDE


def inspect_image(data: bytes) -> PageSize:
    """The pixel size of an image template (checked like any untrusted image)."""
    image, _ = load_template_image(data)
    return PageSize(width=float(image.width), height=float(image.height), rotation=0)


def thumbnail(data: bytes, width: int = 320) -> bytes:
    """A PNG of an image template scaled to ``width`` pixels (never enlarged), and smaller
    where its shape would make it longer than MAX_RENDER_SIDE or larger than
    MAX_RENDER_PIXELS (as render_preview does for PDF pages)."""
    if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= 4000:
        raise AssetError("The thumbnail width must be between 1 and 4000 pixels.")
    image, _ = load_template_image(data)
    scale = min(
        1.0,
        width / image.width,
        MAX_RENDER_SIDE / max(image.size),
        math.sqrt(MAX_RENDER_PIXELS / (image.width * image.height)),
    )
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
