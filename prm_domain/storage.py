"""File storage behind one small interface, content-addressed.

Keys are SHA-256 digests of the content, so identical uploads are stored once and a key never
changes meaning. ``LocalStorage`` keeps files in a folder (one machine, or a shared mount);
``S3Storage`` keeps them in an S3-compatible bucket, so web processes and workers on several
machines share them. ``storage_from_url`` picks one from a setting.

Large files move as streams: ``put_file`` reads a seekable file in chunks, ``open`` returns a
readable stream, and ``download_url`` gives a presigned address where the store has one, so a
web process never holds a whole zip in memory.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import urllib.parse
from pathlib import Path
from typing import IO, Any, Protocol

_KEY = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024
PART = 8 * 1024 * 1024


class Storage(Protocol):
    def put(self, data: bytes) -> str: ...
    def put_file(self, f: IO[bytes]) -> str:
        """Store a seekable file from its current position to its end, read in chunks."""
        ...

    def get(self, key: str) -> bytes: ...
    def open(self, key: str) -> IO[bytes]:
        """A readable stream of the file (the caller closes it); KeyError when missing."""
        ...

    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def download_url(self, key: str, content_type: str, filename: str | None) -> str | None:
        """A short-lived address the client may fetch the file from directly, else None."""
        ...


def _check(key: str) -> str:
    # Keys come from our own digests, but a key is also a path: never let one escape the root.
    if not _KEY.match(key):
        raise KeyError(f"not a storage key: {key!r}")
    return key


def _digest(f: IO[bytes]) -> tuple[str, int]:
    """The SHA-256 of ``f`` from its position on, and that position (rewound to it)."""
    start = f.tell()
    h = hashlib.sha256()
    while chunk := f.read(CHUNK):
        h.update(chunk)
    f.seek(start)
    return h.hexdigest(), start


class LocalStorage:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        _check(key)
        return self.root / key[:2] / key[2:4] / key

    def _write(self, key: str, copy: Any) -> str:
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a crash or a concurrent reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                copy(out)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def put(self, data: bytes) -> str:
        return self._write(hashlib.sha256(data).hexdigest(), lambda out: out.write(data))

    def put_file(self, f: IO[bytes]) -> str:
        key, _ = _digest(f)
        return self._write(key, lambda out: shutil.copyfileobj(f, out, CHUNK))

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def open(self, key: str) -> IO[bytes]:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def download_url(self, key: str, content_type: str, filename: str | None) -> str | None:
        return None  # served by the web process (sendfile where the server has it)


class S3Storage:
    """An S3-compatible bucket (AWS, MinIO, Ceph, R2...) through boto3.

    Credentials and region come from boto3's usual sources (``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``, an instance role...). Objects are named
    ``<prefix><key>``; since a key is the digest of the content, an object once written never
    changes, and two writers of the same content write the same bytes.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        presign_seconds: int = 300,
        client: Any = None,
    ) -> None:
        import boto3  # only deployments that use S3 pay for importing it
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        # 0 streams downloads through the web process instead of redirecting to the store
        # (for a store the users' browsers cannot reach).
        self.presign_seconds = presign_seconds
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            # Path-style addressing works with every S3-compatible server and with an endpoint
            # given as an IP address; retries ride out a busy moment of the store.
            config=Config(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                retries={"max_attempts": 5, "mode": "standard"},
            ),
        )

        # Multipart in 8 MB parts past 8 MB, one part at a time: memory stays at about one
        # part, whatever the size (with threads, s3transfer reads up to ten parts ahead).
        self._transfer = TransferConfig(
            multipart_threshold=PART, multipart_chunksize=PART, use_threads=False
        )

    def _name(self, key: str) -> str:
        return self.prefix + _check(key)

    def _missing(self, exc: Exception) -> bool:
        error = getattr(exc, "response", {}).get("Error", {})
        return str(error.get("Code")) in {"404", "NoSuchKey", "NotFound"}

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        if not self.exists(key):
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data)
        return key

    def put_file(self, f: IO[bytes]) -> str:
        key, _ = _digest(f)
        if not self.exists(key):
            self.client.upload_fileobj(f, self.bucket, self._name(key), Config=self._transfer)
        return key

    def get(self, key: str) -> bytes:
        with self.open(key) as body:
            return body.read()

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if self._missing(exc):
                raise KeyError(key) from None
            raise
        body: IO[bytes] = response["Body"]  # a StreamingBody: read(n), iter_chunks(), close()
        return body

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if self._missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def download_url(self, key: str, content_type: str, filename: str | None) -> str | None:
        if self.presign_seconds <= 0:
            return None
        params = {
            "Bucket": self.bucket,
            "Key": self._name(key),
            # The store answers with these headers, so the browser sees the same file name and
            # type as from a download served by the web process.
            "ResponseContentType": content_type,
            "ResponseCacheControl": "private, no-store",
        }
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)
        url: str = self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=self.presign_seconds
        )
        return url


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 one (RFC 6266)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    quoted = urllib.parse.quote(filename, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"


def storage_from_url(
    url: str | None,
    local_dir: str | os.PathLike[str],
    *,
    endpoint_url: str | None = None,
    presign_seconds: int = 300,
) -> Storage:
    """``s3://bucket/prefix`` for a bucket, ``file:///path`` or nothing for a folder."""
    if not url:
        return LocalStorage(local_dir)
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "s3" and parsed.netloc:
        return S3Storage(
            parsed.netloc,
            parsed.path,
            endpoint_url=endpoint_url,
            presign_seconds=presign_seconds,
        )
    if parsed.scheme == "file" and parsed.path:
        return LocalStorage(urllib.parse.unquote(parsed.path))
    raise ValueError(f"STORAGE_URL: expected s3://bucket/prefix or file:///path, got {url!r}")
