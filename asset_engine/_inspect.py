"""Looking at image templates without branding them: size for the zone editor, thumbnails."""

from __future__ import annotations

import io

from PIL import Image

from ._images import load_template_image
from ._model import PageSize


def inspect_image(data: bytes) -> PageSize:
    """The pixel size of an image template (checked like any untrusted image)."""
    image, _ = load_template_image(data)
    return PageSize(width=float(image.width), height=float(image.height), rotation=0)


def thumbnail(data: bytes, width: int = 320) -> bytes:
    """A PNG of an image template scaled to ``width`` pixels (never enlarged)."""
    if not 1 <= width <= 4000:
        raise ValueError("width must be between 1 and 4000 pixels")
    image, _ = load_template_image(data)
    if image.width > width:
        height = max(1, round(image.height * width / image.width))
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
