"""Where the new and changed PDF objects go: a full pypdf rewrite or an incremental update.

The incremental update appends the changed page dictionaries and the branding objects after
the original bytes, so its cost does not grow with the document's images and fonts, and the
original revision stays byte-for-byte intact.
"""

from __future__ import annotations

import io
import re
import struct
from typing import Protocol

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
)

_STARTXREF = re.compile(rb"startxref\s*(\d+)\s*%%EOF", re.DOTALL)
_OBJECT_HEADER = re.compile(rb"\s*\d+\s+\d+\s+obj\b")


class Sink(Protocol):
    def add(self, obj: PdfObject) -> IndirectObject:
        """Store a new object; return a reference to it."""

    def import_object(self, obj: PdfObject) -> PdfObject:
        """Copy an object (and what it references) from the overlay document."""

    def touch(self, ref: PdfObject | None, obj: PdfObject | None = None) -> None:
        """Note that the source object behind ``ref`` (held as ``obj``) changed in memory."""

    def output(self) -> bytes: ...


class RewriteSink:
    """pypdf writes the whole document again; every object is written, touched or not."""

    def __init__(self, writer: PdfWriter) -> None:
        self.writer = writer

    def add(self, obj: PdfObject) -> IndirectObject:
        return self.writer._add_object(obj)

    def import_object(self, obj: PdfObject) -> PdfObject:
        return obj.clone(self.writer)

    def touch(self, ref: PdfObject | None, obj: PdfObject | None = None) -> None:
        return None

    def output(self) -> bytes:
        out = io.BytesIO()
        self.writer.write(out)
        return out.getvalue()


def last_xref_offset(data: bytes) -> int | None:
    """The offset the file's final startxref points to, if it points at a real section."""
    matches = list(_STARTXREF.finditer(data, max(0, len(data) - 4096)))
    if not matches:
        return None
    offset = int(matches[-1].group(1))
    if offset >= len(data):
        return None
    head = data[offset : offset + 32]
    if head.lstrip().startswith(b"xref") or _OBJECT_HEADER.match(head):
        return offset
    return None


class IncrementalSink:
    """Appends an incremental update (PDF 32000-1, 7.5.6) to the original bytes."""

    def __init__(self, data: bytes, reader: PdfReader, prev: int) -> None:
        self.data = data
        self.reader = reader
        self.prev = prev
        highest = int(reader.trailer.get("/Size", 0))
        for table in reader.xref.values():
            highest = max(highest, *(n + 1 for n in table), 0)
        highest = max(highest, *(n + 1 for n in reader.xref_objStm), 0)
        self.next = highest
        self.new: dict[int, PdfObject] = {}
        self.touched: dict[int, tuple[int, PdfObject]] = {}
        self.imported: dict[int, IndirectObject] = {}
        self.stream_xref = not data[prev : prev + 32].lstrip().startswith(b"xref")

    def _reserve(self) -> IndirectObject:
        ref = IndirectObject(self.next, 0, self)
        self.next += 1
        return ref

    def get_object(self, ref: IndirectObject) -> PdfObject | None:
        # Lets IndirectObject.get_object() resolve the references this sink hands out.
        return self.new.get(ref.idnum)

    def add(self, obj: PdfObject) -> IndirectObject:
        ref = self._reserve()
        self.new[ref.idnum] = obj
        return ref

    def import_object(self, obj: PdfObject) -> PdfObject:
        if isinstance(obj, IndirectObject):
            known = self.imported.get(obj.idnum)
            if known is not None:
                return known
            ref = self._reserve()
            self.imported[obj.idnum] = ref
            self.new[ref.idnum] = self.import_object(obj.get_object())  # type: ignore[arg-type]
            return ref
        if isinstance(obj, StreamObject):
            copy: StreamObject = (
                EncodedStreamObject()
                if isinstance(obj, EncodedStreamObject)
                else DecodedStreamObject()
            )
            copy._data = obj._data
            for key, value in obj.items():
                copy[NameObject(key)] = self.import_object(value)
            return copy
        if isinstance(obj, DictionaryObject):
            return DictionaryObject({NameObject(k): self.import_object(v) for k, v in obj.items()})
        if isinstance(obj, ArrayObject):
            return ArrayObject(self.import_object(v) for v in obj)
        return obj

    def touch(self, ref: PdfObject | None, obj: PdfObject | None = None) -> None:
        # pypdf's PageObject is a copy of the cached page dictionary, so the caller passes
        # the object it actually changed.
        if isinstance(ref, IndirectObject) and ref.pdf is self.reader:
            changed = obj if obj is not None else ref.get_object()
            if changed is not None:
                self.touched[ref.idnum] = (ref.generation, changed)

    def output(self) -> bytes:
        out = io.BytesIO()
        out.write(self.data)
        if not self.data.endswith((b"\n", b"\r")):
            out.write(b"\n")
        offsets: dict[int, tuple[int, int]] = {}
        entries = [(n, gen, obj) for n, (gen, obj) in self.touched.items()]
        entries += [(n, 0, obj) for n, obj in self.new.items()]
        for number, generation, obj in sorted(entries, key=lambda e: e[0]):
            offsets[number] = (out.tell(), generation)
            out.write(f"{number} {generation} obj\n".encode())
            obj.write_to_stream(out)
            out.write(b"\nendobj\n")
        trailer = DictionaryObject()
        for key in ("/Root", "/Info", "/ID"):
            value = self.reader.trailer.raw_get(key) if key in self.reader.trailer else None
            if value is not None:
                trailer[NameObject(key)] = value
        trailer[NameObject("/Prev")] = NumberObject(self.prev)
        if self.stream_xref:
            self._write_xref_stream(out, offsets, trailer)
        else:
            self._write_xref_table(out, offsets, trailer)
        return out.getvalue()

    @staticmethod
    def _runs(numbers: list[int]) -> list[list[int]]:
        runs: list[list[int]] = []
        for n in sorted(numbers):
            if runs and runs[-1][-1] == n - 1:
                runs[-1].append(n)
            else:
                runs.append([n])
        return runs

    def _write_xref_table(
        self, out: io.BytesIO, offsets: dict[int, tuple[int, int]], trailer: DictionaryObject
    ) -> None:
        start = out.tell()
        out.write(b"xref\n")
        for run in self._runs(list(offsets)):
            out.write(f"{run[0]} {len(run)}\n".encode())
            for n in run:
                offset, generation = offsets[n]
                out.write(f"{offset:010d} {generation:05d} n\r\n".encode())
        trailer[NameObject("/Size")] = NumberObject(self.next)
        out.write(b"trailer\n")
        trailer.write_to_stream(out)
        out.write(f"\nstartxref\n{start}\n%%EOF\n".encode())

    def _write_xref_stream(
        self, out: io.BytesIO, offsets: dict[int, tuple[int, int]], trailer: DictionaryObject
    ) -> None:
        # A file whose last section is a cross-reference stream gets one too: mixing a
        # classic table into a stream-only file is not allowed by the standard.
        number = self.next
        self.next += 1
        start = out.tell()
        offsets = {**offsets, number: (start, 0)}
        rows = bytearray()
        index: list[int] = []
        for run in self._runs(list(offsets)):
            index += [run[0], len(run)]
            for n in run:
                offset, generation = offsets[n]
                rows += struct.pack(">BIH", 1, offset, generation)
        stream = DecodedStreamObject()
        stream.set_data(bytes(rows))
        encoded = stream.flate_encode()
        encoded.update(trailer)
        encoded[NameObject("/Type")] = NameObject("/XRef")
        encoded[NameObject("/Size")] = NumberObject(self.next)
        encoded[NameObject("/W")] = ArrayObject([NumberObject(1), NumberObject(4), NumberObject(2)])
        encoded[NameObject("/Index")] = ArrayObject(NumberObject(v) for v in index)
        out.write(f"{number} 0 obj\n".encode())
        encoded.write_to_stream(out)
        out.write(f"\nendobj\nstartxref\n{start}\n%%EOF\n".encode())
