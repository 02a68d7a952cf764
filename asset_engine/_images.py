"""Checking, decoding and re-encoding images (logos and social templates)."""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image, ImageOps

from ._cache import ByteBoundedCache, digest, image_bytes
from ._errors import InvalidImageError

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 25_000_000
# A 25-megapixel image may still be 25,000,000 x 1: no template or logo is longer than this
# (WebP's own limit, so every output format can hold what the engine accepts).
MAX_SIDE = 16_383
# The largest a logo is ever drawn: a zone across a 2,000 px social image, or a PDF zone at
# print resolution (_pdf.MAX_LOGO_PIXELS is smaller). Cached logos are kept at this size.
MAX_LOGO_SIDE = 2048
# The decoders Pillow may use; decided from the bytes before Pillow sees them, so that no
# other plugin (EPS -> Ghostscript, for one) is ever reached by a crafted file.
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")


def sniff_format(data: bytes) -> str:
    """The allowed format these bytes are, by magic number; otherwise a clear refusal."""
    head = data[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WEBP"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<svg", b"<?xml", b"<!doctype svg", b"<!--")):
        raise InvalidImageError(
            "SVG images are not accepted (they can run scripts and load other files): "
            "export the logo as PNG, JPEG, WebP or GIF."
        )
    if head.startswith((b"%!", b"\xc5\xd0\xd3\xc6")):
        raise InvalidImageError(
            "PostScript/EPS images are not accepted: export the logo as PNG, JPEG, WebP or GIF."
        )
    if head.startswith(b"%PDF"):
        raise InvalidImageError(
            "A PDF is not accepted as an image: export the logo as PNG, JPEG, WebP or GIF."
        )
    raise InvalidImageError(
        "The file is not an image in an accepted format (PNG, JPEG, WebP or GIF)."
    )


def open_image(data: bytes, what: str = "image") -> Image.Image:
    """Decode an untrusted image after checking its type, byte size and header dimensions."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidImageError(f"The {what} must be given as bytes.")
    data = bytes(data)
    if not data:
        raise InvalidImageError(f"The {what} file is empty.")
    if len(data) > MAX_BYTES:
        raise InvalidImageError(
            f"The {what} is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB."
        )
    fmt = sniff_format(data)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 1x and 2x its own limit; make that a refusal too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = image.size
            if width <= 0 or height <= 0:
                raise InvalidImageError(f"The {what} has no pixels.")
            if max(width, height) > MAX_SIDE:
                raise InvalidImageError(
                    f"The {what} is {width} x {height} pixels; no side may be longer than "
                    f"{MAX_SIDE} pixels."
                )
            if width * height > MAX_PIXELS:
                raise InvalidImageError(
                    f"The {what} is {width} x {height} pixels ({width * height / 1e6:.0f} "
                    f"megapixels); the limit is {MAX_PIXELS // 1_000_000} megapixels."
                )
            image.load()
    except InvalidImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidImageError(
            f"The {what} declares far more than {MAX_PIXELS // 1_000_000} megapixels; "
            "it is refused without being decoded."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise InvalidImageError(
            f"The {what} could not be read as {fmt}: the file is damaged or truncated."
        ) from exc
    return image


def _normalise(image: Image.Image) -> Image.Image:
    # Honour the camera's orientation tag before the tag is thrown away with the metadata.
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    return image.convert("RGBA" if has_alpha else "RGB")


# A logo is at most 16 MB decoded (2048 x 2048 RGBA), most are well under 1 MB; a template
# is up to 100 MB decoded, so only the usual sizes (a few megapixels) are kept.
_LOGOS: ByteBoundedCache[Image.Image] = ByteBoundedCache("logos", 64 * 2**20, image_bytes)
_TEMPLATES: ByteBoundedCache[tuple[Image.Image, bool]] = ByteBoundedCache(
    "image templates", 128 * 2**20, lambda entry: image_bytes(entry[0])
)


def _decode_logo(data: bytes) -> Image.Image:
    logo = _normalise(open_image(data, "logo"))
    if max(logo.size) > MAX_LOGO_SIDE:
        logo.thumbnail((MAX_LOGO_SIDE, MAX_LOGO_SIDE), Image.Resampling.LANCZOS)
    return logo


def load_logo(data: bytes) -> Image.Image:
    """A decoded, metadata-free RGB(A) logo at most MAX_LOGO_SIDE pixels on its longest side;
    cached (by bytes held) because one brand kit brands many files.

    Callers must not modify the returned image.
    """
    data = bytes(data)
    return _LOGOS.get(digest(data), lambda: _decode_logo(data))


def validate_logo(data: bytes) -> bytes:
    """Check an uploaded logo and re-encode it as PNG without any metadata (EXIF, XMP, text).

    Raises AssetError (InvalidImageError) with a message for the uploader. Kept at most
    MAX_LOGO_SIDE pixels on its longest side, the largest it is ever drawn; not cached, since
    an upload is decoded once.
    """
    image = _decode_logo(bytes(data))
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _decode_template(data: bytes) -> tuple[Image.Image, bool]:
    image = _normalise(open_image(data, "image template"))
    return image.convert("RGBA"), image.mode == "RGBA"


def load_template_image(data: bytes) -> tuple[Image.Image, bool]:
    """A fresh RGBA copy of the template, and whether it had transparency to keep.

    The decoded template is cached: one template is typically rendered for many partners
    in a row, and decoding costs more than copying.
    """
    data = bytes(data)
    image, has_alpha = _TEMPLATES.get(digest(data), lambda: _decode_template(data))
    return image.copy(), has_alpha
