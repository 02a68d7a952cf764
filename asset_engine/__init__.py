"""Cobrand's rendering engine: pure functions from bytes (and brand data) to bytes.

No web framework, database, task queue or network: the app stores and schedules,
the engine renders.
"""

from __future__ import annotations

# Part of every render cache key: bump it when the engine draws anything differently.
__version__ = "1.0.1"

from ._cache import ByteBoundedCache, caches
from ._email import CompiledEmail, compile_email, personalise_email, render_email
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
from ._model import BrandKit, Contact, PageSize, RenderedEmail, Zone
from ._pdf import cobrand_pdf, inspect_pdf, render_preview
from ._social import render_social

__all__ = [
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
    "TemplateError",
    "Zone",
    "caches",
    "cobrand_pdf",
    "compile_email",
    "inspect_image",
    "inspect_pdf",
    "personalise_email",
    "render_email",
    "render_preview",
    "render_social",
    "thumbnail",
    "validate_logo",
]
