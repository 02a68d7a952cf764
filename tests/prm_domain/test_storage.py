from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from prm_domain.storage import LocalStorage


def test_put_is_content_addressed_and_stores_once(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    key = store.put(b"hello")
    assert key == hashlib.sha256(b"hello").hexdigest()
    assert store.put(b"hello") == key
    assert store.get(key) == b"hello"
    assert store.exists(key)
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_missing_and_deleted_keys(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    key = store.put(b"x")
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(KeyError):
        store.get(key)
    store.delete(key)  # deleting twice is fine


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "ab", "A" * 64, "0" * 63 + "/"])
def test_keys_that_are_not_digests_never_touch_the_disk(tmp_path: Path, key: str) -> None:
    store = LocalStorage(tmp_path / "store")
    with pytest.raises(KeyError):
        store.get(key)
    with pytest.raises(KeyError):
        store.exists(key)


def test_concurrent_writers_of_the_same_content(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    data = b"z" * 1_000_000
    keys: list[str] = []
    threads = [threading.Thread(target=lambda: keys.append(store.put(data))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1
    assert store.get(keys[0]) == data
    assert not [p for p in tmp_path.rglob(".tmp-*")]
