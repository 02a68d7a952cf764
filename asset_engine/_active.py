"""Active content in PDFs: found anywhere in a file, made unreachable, then left out of a rewrite.

A vendor's collateral goes to partners and on to their customers, so nothing in it may run
when it is opened: JavaScript, actions that launch programs, open other or embedded files,
submit forms or import data, multimedia players and XFA forms. Plain links (http, https,
mailto, tel), jumps inside the document and page navigation stay. Attachments stay too: they
are the vendor's content, no viewer opens one without asking, and every action that could
open one is removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
)

# Action types that do nothing but move the view, follow a web link or toggle layers.
_SAFE_ACTIONS = {"/GoTo", "/URI", "/Named", "/Thread", "/SetOCGState", "/Trans"}
_SAFE_NAMED = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
_SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:")
_ACTION_KEYS = ("/A", "/OpenAction", "/PA")
# Annotations that are players rather than marks on the page.
_ACTIVE_ANNOTATIONS = {"/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
_DESCRIPTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "actions that launch programs or open files",
    "/SubmitForm": "form submissions to a web address",
    "/ImportData": "actions that import form data from a file",
    "/ResetForm": "form reset actions",
    "/GoToR": "links into other files",
    "/GoToE": "links into embedded files",
    "/Rendition": "multimedia actions",
    "/RichMediaExecute": "multimedia actions",
    "/Movie": "multimedia actions",
    "/Sound": "multimedia actions",
    "/Hide": "actions that hide parts of the page",
    "/GoTo3DView": "3D actions",
}
# An object pypdf cannot parse is left to the reachable walk: if anything uses it, reading the
# document fails there; if nothing does, a rewrite would not copy it anyway.
_UNREADABLE: tuple[type[Exception], ...] = (PyPdfError, ValueError, KeyError, TypeError)
_UNREADABLE += (IndexError, AttributeError, RecursionError, OSError, AssertionError)
# Tokens that only ever mean active content: found in the raw bytes (an earlier revision that
# a later one superseded, say), they make the file be rewritten without them.
_RAW_TOKENS = re.compile(
    rb"/(?:JavaScript|JS|AA|Launch|SubmitForm|ImportData|RichMedia|XFA)"
    rb"(?=[\s/<>\[\]()%{}]|$)"
)


@dataclass(frozen=True)
class SanitizedPdf:
    """A PDF without active content, and what was taken out (for telling the uploader)."""

    data: bytes
    removed: tuple[str, ...]


def _safe_action(action: DictionaryObject) -> bool:
    kind = action.get("/S")
    if kind not in _SAFE_ACTIONS:
        return False
    if kind == "/Named":
        return action.get("/N") in _SAFE_NAMED
    if kind == "/URI":
        uri = action.get("/URI")
        uri = uri.get_object() if uri is not None else None
        if isinstance(uri, bytes):
            uri = uri.decode("latin-1")
        return isinstance(uri, str) and uri.strip().lower().startswith(_SAFE_SCHEMES)
    return True


def _describe(action: DictionaryObject) -> str:
    kind = str(action.get("/S"))
    if kind == "/URI":
        return "links to addresses other than web, e-mail or phone"
    if kind == "/Named":
        return "menu commands run from links"
    return _DESCRIPTIONS.get(kind, f"{kind.lstrip('/')} actions")


# Subtrees where no action can live (page content, fonts, images, metadata, structure): a
# quick look at a document, before each render, does not read them.
_INERT = frozenset(
    {"/Resources", "/Contents", "/Metadata", "/StructTreeRoot", "/Parent", "/P", "/Thumb"}
    | {"/AP", "/PieceInfo", "/OutputIntents", "/Font", "/XObject", "/ColorSpace", "/Pattern"}
    # Destinations only name a page and a view (the catalog's /Names dict itself is checked).
    | {"/Dests", "/D", "/PageLabels"}
)


class _Walker:
    """Visits each object once; with ``apply`` it also cuts the active content out."""

    def __init__(self, apply: bool, skip: frozenset[str] = frozenset()) -> None:
        self.apply = apply
        self.skip = skip
        self.found: dict[str, None] = {}  # ordered set of descriptions
        self._seen: set[tuple[int, int]] = set()

    def _drop(self, container: DictionaryObject, key: str, why: str) -> None:
        self.found.setdefault(why, None)
        if self.apply:
            del container[key]

    def visit(self, root: PdfObject | None) -> None:
        stack: list[PdfObject | None] = [root]
        while stack:
            obj = stack.pop()
            if isinstance(obj, IndirectObject):
                key = (obj.idnum, obj.generation)
                if key in self._seen:
                    continue
                self._seen.add(key)
                obj = obj.get_object()
            if isinstance(obj, DictionaryObject):
                self._clean(obj)
                stack.extend(v for k, v in obj.items() if k not in self.skip)
            elif isinstance(obj, ArrayObject):
                stack.extend(obj)

    def _clean(self, d: DictionaryObject) -> None:
        if "/AA" in d:
            self._drop(d, "/AA", "actions run when a page, field or the document is opened")
        if "/JS" in d:
            self._drop(d, "/JS", "JavaScript")
        if d.get("/S") in _DESCRIPTIONS and ("/Type" not in d or d.get("/Type") == "/Action"):
            # An action object on its own, reachable or not: found even where nothing uses it.
            self.found.setdefault(_describe(d), None)
        for key in ("/XFA", "/Collection", "/NeedsRendering"):
            if key in d:
                self._drop(d, key, "XFA forms and portfolios")
        names = d.get("/Names")
        names = names.get_object() if names is not None else None
        if isinstance(names, DictionaryObject) and "/JavaScript" in names:
            self._drop(names, "/JavaScript", "JavaScript")
        for key in _ACTION_KEYS:
            action = d.get(key)
            action = action.get_object() if action is not None else None
            # Only a dictionary with an action type is an action (a structure element's /A
            # holds attributes).
            if isinstance(action, DictionaryObject) and "/S" in action and not _safe_action(action):
                self._drop(d, key, _describe(action))
        self._clean_next(d)
        annots = d.get("/Annots")
        annots = annots.get_object() if annots is not None else None
        if isinstance(annots, ArrayObject):
            kept = ArrayObject()
            for annot in annots:
                resolved = annot.get_object() if annot is not None else None
                if isinstance(resolved, DictionaryObject) and (
                    resolved.get("/Subtype") in _ACTIVE_ANNOTATIONS
                ):
                    self.found.setdefault("multimedia players", None)
                    continue
                kept.append(annot)
            if self.apply and len(kept) != len(annots):
                annots.clear()
                annots.extend(kept)

    def _clean_next(self, action: DictionaryObject) -> None:
        if "/Next" not in action:
            return
        chain = action["/Next"]
        resolved = chain.get_object()
        items = list(resolved) if isinstance(resolved, ArrayObject) else [chain]
        kept = []
        for item in items:
            target = item.get_object()
            if isinstance(target, DictionaryObject) and "/S" in target and not _safe_action(target):
                self.found.setdefault(_describe(target), None)
            else:
                kept.append(item)
        if self.apply and len(kept) != len(items):
            if not kept:
                del action["/Next"]
            else:
                action[NameObject("/Next")] = ArrayObject(kept)


def find_active_content(reader: PdfReader, data: bytes) -> tuple[str, ...]:
    """What active content the file holds anywhere: in any object of its cross-reference data,
    used or not, or (as raw tokens) in a revision that a later one superseded. Reads every
    object, so it is meant for an upload, once. Empty when there is none."""
    walker = _Walker(apply=False)
    walker.visit(reader.trailer)
    refs = [IndirectObject(n, gen, reader) for gen, objects in reader.xref.items() for n in objects]
    refs += [IndirectObject(n, 0, reader) for n in reader.xref_objStm]
    for ref in refs:
        try:
            walker.visit(ref)
        except _UNREADABLE:
            continue
    # Superseded objects exist only in a file updated incrementally; in a single revision a
    # raw match can only be chance bytes inside compressed data.
    if not walker.found and data.count(b"startxref") > 1 and _RAW_TOKENS.search(data):
        walker.found.setdefault("earlier revisions of the file that held active content", None)
    return tuple(walker.found)


def reachable_active_content(reader: PdfReader) -> tuple[str, ...]:
    """Active content a viewer could reach from the document's root; skips page content, fonts
    and images, where none can be, so it costs little more than reading the page tree."""
    walker = _Walker(apply=False, skip=_INERT)
    walker.visit(reader.trailer)
    return tuple(walker.found)


def strip_active_content(reader: PdfReader) -> None:
    """Cut every path to active content from the document's root, in the reader's own objects:
    a writer cloned from it afterwards copies only what is still reachable, so the scripts and
    files themselves are left out, not merely unlinked."""
    _Walker(apply=True).visit(reader.trailer)
