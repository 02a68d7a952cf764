"""Both storage backends pass the same tests: the local folder, and an S3 bucket on a real
S3-protocol server on loopback (tests/s3.py)."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from prm_domain.storage import LocalStorage, S3Storage, Storage, storage_from_url
from tests import s3

Files = Callable[[], list[str]]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3.s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Storage, Files]:
    """A fresh empty store, and a way to list what it holds."""
    if request.param == "local":
        root = tmp_path / "store"
        files = lambda: [p.name for p in root.rglob("*") if p.is_file()]  # noqa: E731
        return LocalStorage(root), files
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = s3.new_bucket(endpoint)
    monkeypatch = request.getfixturevalue("monkeypatch")
    for name, value in s3.CREDENTIALS.items():  # boto3 finds them as in production
        monkeypatch.setenv(name, value)
    store = S3Storage(bucket, "cobrand/files", endpoint_url=endpoint)
    return store, lambda: s3.object_names(endpoint, bucket)


def test_put_is_content_addressed_and_stores_once(backend: tuple[Storage, Files]) -> None:
    store, files = backend
    key = store.put(b"hello")
    assert key == hashlib.sha256(b"hello").hexdigest()
    assert store.put(b"hello") == key
    assert store.get(key) == b"hello"
    assert store.exists(key)
    assert len(files()) == 1
    assert files()[0].endswith(key)


def test_missing_and_deleted_keys(backend: tuple[Storage, Files]) -> None:
    store, _ = backend
    key = store.put(b"x")
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(KeyError):
        store.get(key)
    with pytest.raises(KeyError):
        store.open(key)
    store.delete(key)  # deleting twice is fine


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "ab", "A" * 64, "0" * 63 + "/"])
def test_keys_that_are_not_digests_never_reach_the_store(
    backend: tuple[Storage, Files], key: str
) -> None:
    store, files = backend
    for call in (store.get, store.exists, store.open, store.delete):
        with pytest.raises(KeyError):
            call(key)
    assert files() == []


def test_concurrent_writers_of_the_same_content(backend: tuple[Storage, Files]) -> None:
    store, files = backend
    data = b"z" * 1_000_000
    keys: list[str] = []
    errors: list[BaseException] = []

    def put() -> None:
        try:
            keys.append(store.put(data))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(keys)) == 1
    assert store.get(keys[0]) == data
    assert len(files()) == 1  # no half-written or temporary files left


def test_a_large_file_goes_in_and_out_as_a_stream(backend: tuple[Storage, Files]) -> None:
    """40 MB from a spooled file, read in chunks both ways: the Python heap never holds the
    file (S3 uploads it in parts)."""
    store, _ = backend
    size = 40 * 1024 * 1024
    expected = hashlib.sha256()
    with tempfile.TemporaryFile() as f:
        block = os.urandom(1024 * 1024)
        for i in range(size // len(block)):
            chunk = bytes([i]) + block[1:]
            expected.update(chunk)
            f.write(chunk)
        f.seek(0)
        tracemalloc.start()
        try:
            key = store.put_file(f)
            got = hashlib.sha256()
            with store.open(key) as stream:
                while chunk := stream.read(1024 * 1024):
                    got.update(chunk)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert key == expected.hexdigest() == got.hexdigest()
    assert store.exists(key)
    assert peak < size / 2, f"peak {peak / 1e6:.1f} MB of Python memory for a 40 MB file"


def test_put_file_stores_from_the_current_position(backend: tuple[Storage, Files]) -> None:
    store, _ = backend
    f = io.BytesIO(b"header|content")
    f.seek(7)
    key = store.put_file(f)
    assert key == hashlib.sha256(b"content").hexdigest()
    assert store.get(key) == b"content"


def test_download_addresses(backend: tuple[Storage, Files]) -> None:
    """The local store has none (the web process streams the file); S3 presigns one that
    answers with the file, its type and its download name."""
    store, _ = backend
    key = store.put(b"PK zip bytes")
    url = store.download_url(key, "application/zip", "Caf\u00e9 render-job-7.zip")
    if isinstance(store, LocalStorage):
        assert url is None
        return
    assert url is not None and "X-Amz-Signature" in url
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == b"PK zip bytes"
        assert r.headers["Content-Type"] == "application/zip"
        disposition = r.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Caf_ render-job-7.zip"')
    assert "filename*=UTF-8''Caf%C3%A9%20render-job-7.zip" in disposition


def test_storage_from_url(tmp_path: Path) -> None:
    assert isinstance(storage_from_url(None, tmp_path), LocalStorage)
    local = storage_from_url(f"file://{tmp_path}/files", tmp_path / "unused")
    assert isinstance(local, LocalStorage) and local.root == tmp_path / "files"
    remote = storage_from_url(
        "s3://my-bucket/a/b/", tmp_path, endpoint_url="http://127.0.0.1:9", presign_seconds=0
    )
    assert isinstance(remote, S3Storage)
    assert (remote.bucket, remote.prefix, remote.presign_seconds) == ("my-bucket", "a/b/", 0)
    assert remote.download_url("0" * 64, "application/pdf", None) is None
    for bad in ("s3://", "ftp://host/x", "bucket"):
        with pytest.raises(ValueError, match="STORAGE_URL"):
            storage_from_url(bad, tmp_path)
