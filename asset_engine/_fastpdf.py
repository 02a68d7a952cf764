"""The fast path of PDF co-branding: qpdf (through pikepdf) reads the page tree, the engine
writes the incremental update itself.

pypdf parses every page dictionary in pure Python and reportlab re-encodes the logo (ASCII85,
in pure Python) on every render. Here the parsing is qpdf's C++, the logo image is prepared once
per logo (keyed by its content hash) and the branding forms once per brand kit, zones and page
sizes (keyed by everything they are drawn from), in byte-bounded caches. One Form XObject per
page size is shared by every page; each branded page gets one small shared stamp stream.

``cobrand_fast`` returns None whenever the file is anything but plain (qpdf had to repair it,
encrypted, a page listed twice, numbering it cannot extend safely): the caller then takes the
pypdf path, which knows how to refuse or rewrite such files.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream

from ._active import (
    _ACTION_KEYS,
    _ACTIVE_ANNOTATIONS,
    _DESCRIPTIONS,
    _INERT,
    _SAFE_ACTIONS,
    _SAFE_NAMED,
    _SAFE_SCHEMES,
)
from ._cache import ByteBoundedCache, digest
from ._images import load_logo
from ._model import BrandKit, Zone
from ._pdf import MAX_LOGO_PIXELS, MAX_PAGES, _build_overlay, page_geometry
from ._png import deflate

_HEADER = re.compile(rb"%PDF-(\d)\.(\d)")
# What qpdf and our own reading raise on a file that is not as plain as it looked.
_FALLBACK = (
    pikepdf.PdfError,
    pikepdf.PasswordError,
    OSError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    RecursionError,
    OverflowError,
    RuntimeError,
)


@dataclass(frozen=True)
class _Logo:
    """A logo as PDF image data: Flate-compressed RGB and, if it has one, its alpha channel."""

    width: int
    height: int
    rgb: bytes
    alpha: bytes | None


def _logo_bytes(logo: _Logo) -> int:
    return len(logo.rgb) + len(logo.alpha or b"") + 256


# Keyed by the logo's content hash: a changed logo is a new key, never a stale hit.
_LOGOS: ByteBoundedCache[_Logo] = ByteBoundedCache("pdf logo images", 24 * 2**20, _logo_bytes)
# The branding overlay (reportlab's output, text subset font included), keyed by everything
# it is drawn from: logo hashes, rendered texts, colours, tracking URL, zones and page sizes.
_OVERLAYS: ByteBoundedCache[bytes] = ByteBoundedCache("pdf branding overlays", 24 * 2**20, len)


def _make_logo(data: bytes) -> _Logo:
    logo = load_logo(data)
    if max(logo.size) > MAX_LOGO_PIXELS:
        # The same reduction as the reportlab path (_pdf._make_logo_reader): same pixels.
        logo = logo.copy()
        logo.thumbnail((MAX_LOGO_PIXELS, MAX_LOGO_PIXELS))
    alpha = logo.getchannel("A").tobytes() if logo.mode == "RGBA" else None
    return _Logo(
        logo.width,
        logo.height,
        # ISA-L: a 600x200 logo in about a millisecond, where zlib's level 6 took several.
        deflate(logo.convert("RGB").tobytes()),
        deflate(alpha) if alpha is not None else None,
    )


def _prepared_logo(key: bytes, source: bytes) -> _Logo:
    return _LOGOS.get(key, lambda: _make_logo(source))


def _box(page: Dictionary, key: str) -> tuple[float, float, float, float] | None:
    raw = _inherited(page, key)
    if not isinstance(raw, Array) or len(raw) != 4:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in raw)
    except (TypeError, ValueError):
        return None
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _inherited(page: Dictionary, key: str) -> object:
    """A page attribute, from the page or the nearest ancestor in the page tree that has it."""
    node: object = page
    for _ in range(64):  # a cycle in /Parent must not loop forever
        if not isinstance(node, Dictionary):
            return None
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


def _header_version(data: bytes) -> tuple[int, int]:
    match = _HEADER.search(data[:1024])
    return (int(match.group(1)), int(match.group(2))) if match else (1, 4)


def _safe_action(action: Dictionary) -> bool:
    kind = str(action.get("/S"))
    if kind not in _SAFE_ACTIONS:
        return False
    if kind == "/Named":
        return str(action.get("/N")) in _SAFE_NAMED
    if kind == "/URI":
        uri = action.get("/URI")
        if not isinstance(uri, pikepdf.String):
            return False
        return bytes(uri).decode("latin-1").strip().lower().startswith(_SAFE_SCHEMES)
    return True


def _is_unsafe_action(value: object) -> bool:
    return isinstance(value, Dictionary) and "/S" in value and not _safe_action(value)


def _has_active_content(pdf: Pdf) -> bool:
    """Whether a viewer could reach active content from the document's root: the same walk
    as _active.reachable_active_content, on qpdf's objects. It only has to say whether there
    is any (the pypdf path then says what, and strips it), so it errs on the side of yes."""
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [pdf.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Object):
            objgen = obj.objgen  # (0, 0) for a direct object
            if objgen != (0, 0):
                if objgen in seen:
                    continue
                seen.add(objgen)
        if isinstance(obj, Stream):
            obj = obj.stream_dict
        if isinstance(obj, Dictionary):
            # One call into qpdf per dictionary: each lookup costs microseconds, and a long
            # document has thousands of dictionaries on the way.
            items = dict(obj.items())
            if _active_here(items):
                return True
            stack.extend(
                v for k, v in items.items() if k not in _INERT and isinstance(v, pikepdf.Object)
            )
        elif isinstance(obj, Array):
            stack.extend(v for v in obj if isinstance(v, pikepdf.Object))
    return False


_ALWAYS_ACTIVE = frozenset({"/AA", "/JS", "/XFA", "/Collection", "/NeedsRendering"})


def _active_here(d: Mapping[str, object]) -> bool:
    if not _ALWAYS_ACTIVE.isdisjoint(d):
        return True
    if "/S" in d and str(d["/S"]) in _DESCRIPTIONS:
        return True  # an action on its own (or a structure element's /S: erring on yes)
    names = d.get("/Names")
    if isinstance(names, Dictionary) and "/JavaScript" in names:
        return True
    if any(key in d and _is_unsafe_action(d[key]) for key in _ACTION_KEYS):
        return True
    chain = d.get("/Next")
    if chain is not None:
        items = list(chain) if isinstance(chain, Array) else [chain]
        if any(_is_unsafe_action(item) for item in items):
            return True
    annots = d.get("/Annots")
    if isinstance(annots, Array):
        for annot in annots:
            if isinstance(annot, Dictionary) and str(annot.get("/Subtype")) in (
                _ACTIVE_ANNOTATIONS
            ):
                return True
    return False


def cobrand_fast(
    data: bytes,
    prev: int,
    brand: BrandKit,
    zones: Sequence[Zone],
    texts: dict[int, str],
    *,
    check_active: bool,
) -> bytes | None:
    """The incremental update for a plain file, or None to take the pypdf path instead
    (also when ``check_active`` finds active content: that path strips it and rewrites)."""
    try:
        pdf = Pdf.open(io.BytesIO(data), inherit_page_attributes=False)
    except _FALLBACK:
        return None
    try:
        with pdf:
            if pdf.is_encrypted or pdf.get_warnings():
                return None
            if check_active and _has_active_content(pdf):
                return None
            out = _cobrand(pdf, data, prev, brand, zones, texts)
            # qpdf reads objects lazily: a damaged one may only show now.
            return None if pdf.get_warnings() else out
    except _FALLBACK:
        return None


def _cobrand(
    pdf: Pdf,
    data: bytes,
    prev: int,
    brand: BrandKit,
    zones: Sequence[Zone],
    texts: dict[int, str],
) -> bytes | None:
    size = int(pdf.trailer.get("/Size", 0))
    pages = pdf.pages
    count = len(pages)
    if not 0 < count <= MAX_PAGES:
        return None
    plan: list[tuple[Dictionary, tuple[float, ...], int]] = []
    keys: dict[tuple[float, float, tuple[int, ...]], int] = {}
    for number, page in enumerate(pages, start=1):
        indices = tuple(i for i, z in enumerate(zones) if z.applies_to(number, count))
        if not indices:
            continue
        obj = page.obj
        idnum = obj.objgen[0]
        if idnum == 0 or idnum >= size:
            return None  # direct, or a copy qpdf made of a page listed twice
        geometry = page_geometry(
            _box(obj, "/MediaBox"), _box(obj, "/CropBox"), _inherited(obj, "/Rotate")
        )
        key = (round(geometry.width, 3), round(geometry.height, 3), indices)
        plan.append((obj, geometry.matrix, keys.setdefault(key, len(keys))))
    if not plan:
        return None  # nothing to brand: the pypdf path's output is the reference for that

    used = {i for _, _, indices in keys for i in indices}
    logos: dict[bytes, tuple[str, _Logo]] = {}
    for i in sorted(used):
        zone = zones[i]
        if zone.kind == "logo":
            source = brand.logo_on_dark if zone.on_dark and brand.logo_on_dark else brand.logo
            key_ = digest(source)
            logos[key_] = (
                f"/CobrandLogo{key_.hex()[:16]}",
                _prepared_logo(key_, source),
            )

    def logo_xobject(source: bytes) -> tuple[str, int, int]:
        name, logo = logos[digest(source)]
        return name, logo.width, logo.height

    overlay_key = (
        tuple(sorted(logos)),
        brand.primary_color,
        brand.tracking_url,
        tuple(zones),
        tuple(sorted(texts.items())),
        tuple(keys),
    )
    overlay_pdf = _OVERLAYS.get(
        overlay_key, lambda: _build_overlay(list(keys), brand, zones, texts, logo_xobject)
    )

    first = Stream(pdf, b"q\n")  # the opener, also the first new object number
    if first.objgen[0] < size:
        return None  # qpdf would reuse numbers the file lists as free
    touched: dict[tuple[int, int], pikepdf.Object] = {}
    images = {name: _image(pdf, logo) for name, logo in logos.values()}
    with Pdf.open(io.BytesIO(overlay_pdf), inherit_page_attributes=False) as overlay:
        forms = []
        for (width, height, _), opage in zip(keys, overlay.pages, strict=True):
            content = opage.obj.Contents
            if isinstance(content, Array):
                return None  # reportlab writes one stream per page; anything else is a surprise
            resources = opage.obj.Resources
            if not resources.is_indirect:
                resources = overlay.make_indirect(resources)
            copied = pdf.copy_foreign(resources)
            if "/XObject" not in copied:
                copied.XObject = Dictionary()
            for name, image in images.items():
                copied.XObject[Name(name)] = image
            if "/DecodeParms" in content:
                return None  # reportlab never writes them: a surprise
            raw_filter = content.get("/Filter")
            # Copied as new names: objects of the overlay file cannot be put in this one.
            filters = (
                Array([Name(str(f)) for f in raw_filter])
                if isinstance(raw_filter, Array)
                else Name(str(raw_filter))
                if raw_filter is not None
                else None
            )
            form = Stream(pdf, b"")
            form.write(content.read_raw_bytes(), filter=filters)
            form.Type = Name.XObject
            form.Subtype = Name.Form
            form.BBox = Array([0, 0, width, height])
            form.Resources = copied
            forms.append(form)
        stamps: dict[bytes, Stream] = {}
        for obj, matrix, form_index in plan:
            _stamp(pdf, obj, matrix, forms[form_index], form_index, first, stamps, touched)
        if _header_version(data) < (1, 4):
            # The logo's soft mask is a PDF 1.4 feature; a catalog /Version raises the
            # version without touching the original header.
            root = pdf.Root
            if not root.is_indirect:
                return None
            root.Version = Name("/1.4")
            touched[root.objgen] = root
        end = Stream(pdf, b"").objgen[0]  # one past the last new object; itself not written
        return _write_update(pdf, data, prev, first.objgen[0], end, touched)


def _image(pdf: Pdf, logo: _Logo) -> Stream:
    image = Stream(pdf, b"")
    image.write(logo.rgb, filter=Name.FlateDecode)
    image.Type = Name.XObject
    image.Subtype = Name.Image
    image.Width = logo.width
    image.Height = logo.height
    image.ColorSpace = Name.DeviceRGB
    image.BitsPerComponent = 8
    if logo.alpha is not None:
        mask = Stream(pdf, b"")
        mask.write(logo.alpha, filter=Name.FlateDecode)
        mask.Type = Name.XObject
        mask.Subtype = Name.Image
        mask.Width = logo.width
        mask.Height = logo.height
        mask.ColorSpace = Name.DeviceGray
        mask.BitsPerComponent = 8
        image.SMask = mask
    return image


def _editable(
    holder: Dictionary, key: str, touched: dict[tuple[int, int], pikepdf.Object]
) -> Dictionary:
    """``holder[key]`` as a dictionary to change in place: an indirect one is noted as touched,
    a missing or malformed one is replaced by a new direct one."""
    value = holder.get(key)
    if isinstance(value, Dictionary):
        if value.is_indirect:
            touched[value.objgen] = value
        return value
    holder[Name(key)] = Dictionary()
    fresh = holder[key]
    assert isinstance(fresh, Dictionary)
    return fresh


def _stamp(
    pdf: Pdf,
    page: Dictionary,
    matrix: tuple[float, ...],
    form: Stream,
    form_index: int,
    opener: Stream,
    stamps: dict[bytes, Stream],
    touched: dict[tuple[int, int], pikepdf.Object],
) -> None:
    touched[page.objgen] = page
    if "/Resources" not in page:
        inherited = _inherited(page, "/Resources")
        # The page's own /Resources hides its ancestors': start from a copy of theirs.
        page.Resources = (
            Dictionary(dict(inherited.items()))
            if isinstance(inherited, Dictionary)
            else Dictionary()
        )
    resources = _editable(page, "/Resources", touched)
    xobjects = _editable(resources, "/XObject", touched)
    base = f"/Cobrand{form_index}"
    name, n = base, 1
    while name in xobjects and xobjects[name].objgen != form.objgen:
        n += 1
        name = f"{base}_{n}"
    xobjects[Name(name)] = form
    contents = page.get("/Contents")
    items = (
        list(contents) if isinstance(contents, Array) else [] if contents is None else [contents]
    )
    text = " ".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in matrix)
    # Wrapping the page's own content in q ... Q keeps its leftover graphics state (a cm,
    # a clip, a colour) from moving or hiding the branding.
    code = f"\nQ q {text} cm {name} Do Q\n".encode("ascii")
    stamp = stamps.get(code)
    if stamp is None:
        stamp = stamps[code] = Stream(pdf, code)
    page.Contents = Array([opener, *items, stamp])


def _serialise(obj: pikepdf.Object) -> bytes:
    if isinstance(obj, Stream):
        raw = obj.read_raw_bytes()
        head = Dictionary(dict(obj.stream_dict.items()))
        head.Length = len(raw)
        return head.unparse(resolved=True) + b"\nstream\n" + raw + b"\nendstream"
    return bytes(obj.unparse(resolved=True))


def _write_update(
    pdf: Pdf,
    data: bytes,
    prev: int,
    first: int,
    end: int,
    touched: dict[tuple[int, int], pikepdf.Object],
) -> bytes:
    # The update is written after the original bytes, joined to them once at the end: copying
    # megabytes of images into a growing buffer cost more than the whole update.
    out = io.BytesIO()
    base = len(data) + (0 if data.endswith((b"\n", b"\r")) else 1)
    offsets: dict[int, tuple[int, int]] = {}
    entries: list[tuple[int, int, pikepdf.Object]] = [(n, g, o) for (n, g), o in touched.items()]
    entries += [(n, 0, pdf.get_object((n, 0))) for n in range(first, end)]
    for number, generation, obj in sorted(entries, key=lambda e: e[0]):
        offsets[number] = (base + out.tell(), generation)
        out.write(b"%d %d obj\n" % (number, generation))
        out.write(_serialise(obj))
        out.write(b"\nendobj\n")
    trailer = b"".join(
        Name(key).unparse() + b" " + pdf.trailer[key].unparse() + b"\n"
        for key in ("/Root", "/Info", "/ID")
        if key in pdf.trailer
    )
    trailer += b"/Prev %d\n" % prev
    if data[prev : prev + 32].lstrip().startswith(b"xref"):
        start = base + out.tell()
        out.write(b"xref\n")
        for run in _runs(list(offsets)):
            out.write(b"%d %d\n" % (run[0], len(run)))
            for n in run:
                offset, generation = offsets[n]
                out.write(b"%010d %05d n\r\n" % (offset, generation))
        out.write(b"trailer\n<< " + trailer + b"/Size %d >>\n" % end)
    else:
        # A file whose last section is a cross-reference stream gets one too: mixing a
        # classic table into a stream-only file is not allowed by the standard.
        number, size = end, end + 1
        start = base + out.tell()
        offsets[number] = (start, 0)
        rows = bytearray()
        index: list[int] = []
        for run in _runs(list(offsets)):
            index += [run[0], len(run)]
            for n in run:
                offset, generation = offsets[n]
                rows += struct.pack(">BIH", 1, offset, generation)
        packed = zlib.compress(bytes(rows))
        out.write(
            b"%d 0 obj\n<< /Type /XRef /Size %d /W [ 1 4 2 ] /Index [ %s ] /Filter /FlateDecode "
            b"/Length %d\n%s>>\nstream\n"
            % (number, size, " ".join(map(str, index)).encode(), len(packed), trailer)
        )
        out.write(packed + b"\nendstream\nendobj\n")
    out.write(b"startxref\n%d\n%%%%EOF\n" % start)
    return b"".join([data, b"" if base == len(data) else b"\n", out.getvalue()])


def _runs(numbers: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and runs[-1][-1] == n - 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs
