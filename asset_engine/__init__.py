"""Cobrand's rendering engine: pure functions from bytes (and brand data) to bytes.

No web framework, database, task queue or network: the app stores and schedules,
the engine renders.
"""

from __future__ import annotations

# Part of every render cache key: bump it when the engine draws anything differently.
__version__ = "1.3.0"

from ._active import SanitizedPdf
from ._cache import ByteBoundedCache, caches
from ._email import (
    PARTNER_FOOTER_MJML,
    CompiledEmail,
    append_partner_footer,
    brand_fields,
    compile_email,
    has_partner_footer,
    personalise_email,
    render_email,
)
from ._errors import (
    AssetError,
    EncryptedPdfError,
    InvalidImageError,
    InvalidPdfError,
    InvalidZoneError,
    TemplateError,
)
from ._images import validate_logo
from ._inspect import inspect_image, thumbnail
from ._layout import MIN_TEXT_SIZE, TextFit, fit_zone_text
from ._model import BrandKit, Contact, PageSize, RenderedEmail, Zone
from ._pdf import cobrand_pdf, inspect_pdf, render_preview, sanitize_pdf
from ._social import render_social
from ._text import VARIABLES, render_text

__all__ = [
    "MIN_TEXT_SIZE",
    "PARTNER_FOOTER_MJML",
    "VARIABLES",
    "AssetError",
    "BrandKit",
    "ByteBoundedCache",
    "CompiledEmail",
    "Contact",
    "EncryptedPdfError",
    "InvalidImageError",
    "InvalidPdfError",
    "InvalidZoneError",
    "PageSize",
    "RenderedEmail",
    "SanitizedPdf",
    "TemplateError",
    "TextFit",
    "Zone",
    "append_partner_footer",
    "brand_fields",
    "caches",
    "cobrand_pdf",
    "compile_email",
    "fit_zone_text",
    "has_partner_footer",
    "inspect_image",
    "inspect_pdf",
    "personalise_email",
    "render_email",
    "render_preview",
    "render_social",
    "render_text",
    "sanitize_pdf",
    "thumbnail",
    "validate_logo",
]
