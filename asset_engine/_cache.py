"""In-process caches bounded by the bytes they hold, not by their number of entries.

An entry count says nothing about memory when one decoded image is 1 KB and the next 100 MB:
sixteen full-resolution logos once took a web process from 142 MB to 1.8 GB. Every cache of
decoded or derived data in the engine is one of these, with a budget in bytes.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from PIL import Image

V = TypeVar("V")

_ALL: list[ByteBoundedCache[object]] = []


class ByteBoundedCache(Generic[V]):
    """Least-recently-used entries go first once the total passes ``max_bytes``.

    ``size_of`` estimates an entry's bytes; an entry larger than half the budget is returned
    but not kept (it would evict everything else for one use). Thread-safe; ``make``
    runs outside the lock, so two threads may build the same entry once each.
    """

    def __init__(self, name: str, max_bytes: int, size_of: Callable[[V], int]) -> None:
        self.name = name
        self.max_bytes = max_bytes
        self._size_of = size_of
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        _ALL.append(self)  # type: ignore[arg-type]

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit[0]
        value = make()
        size = max(1, int(self._size_of(value)))
        if size > self.max_bytes // 2:
            return value
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def digest(data: bytes) -> bytes:
    """A key for file contents: the cache then holds 16 bytes, not the file itself."""
    return hashlib.blake2b(data, digest_size=16).digest()


def image_bytes(image: Image.Image) -> int:
    """The decoded size of an image (its pixel buffer dominates everything else)."""
    return image.width * image.height * len(image.getbands()) + 1024


def caches() -> list[ByteBoundedCache[object]]:
    """Every byte-bounded cache of this process (for tests and diagnostics)."""
    return list(_ALL)
