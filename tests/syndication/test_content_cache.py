"""The per-process cache of embed content is bounded by bytes as well as by entries."""

from __future__ import annotations

from syndication.public import MAX_CACHED, MAX_CACHED_BYTES, _Cached, _ContentCache


def _entry(size: int) -> _Cached:
    return _Cached(tokens=(), until=0.0, expires=0.0, allowed_domains=(), etag="", body=b"x" * size)


def test_large_bodies_cannot_grow_the_cache_past_its_byte_budget() -> None:
    cache = _ContentCache()
    for i in range(100):
        cache.put((f"key{i}", "https://app.example"), _entry(2 * 2**20))
        assert cache.bytes <= MAX_CACHED_BYTES
        assert cache.bytes == sum(len(e.body) for e in cache.values())
    assert 0 < len(cache) < 100


def test_replacing_an_entry_counts_its_bytes_once() -> None:
    cache = _ContentCache()
    for size in (10, 1000, 10):
        cache.put(("key", "base"), _entry(size))
    assert cache.bytes == 10 and len(cache) == 1


def test_made_up_keys_are_bounded_by_entries() -> None:
    cache = _ContentCache()
    for i in range(MAX_CACHED + 5):
        cache.put((f"k{i}", "b"), _entry(0))
    assert len(cache) <= MAX_CACHED
