"""The app's file store: local and content-addressed by default (STORAGE_DIR), or an
S3-compatible bucket (STORAGE_URL=s3://bucket/prefix), and how a stored file is downloaded."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app, redirect, send_file
from werkzeug.wrappers import Response

from prm_domain.storage import Storage, content_disposition, storage_from_url


def init_app(app: Flask) -> Storage:
    store = storage_from_url(
        app.config.get("STORAGE_URL"),
        app.config["STORAGE_DIR"],
        endpoint_url=app.config.get("S3_ENDPOINT_URL"),
        presign_seconds=int(app.config.get("S3_PRESIGN_SECONDS", 300)),
    )
    app.extensions["cobrand.storage"] = store
    return store


def storage() -> Storage:
    return cast(Storage, current_app.extensions["cobrand.storage"])  # extensions is untyped


def send_stored(key: str, content_type: str, filename: str | None = None) -> Response:
    """A stored file as a download, never read whole into memory: a redirect to a presigned
    address where the store has one, else streamed in chunks. KeyError when it is missing."""
    store = storage()
    url = store.download_url(key, content_type, filename)
    if url is not None:
        response = redirect(url, 302)
    else:
        response = send_file(
            store.open(key),
            mimetype=content_type,
            conditional=False,
            etag=False,
            max_age=None,
        )
        if filename:
            response.headers["Content-Disposition"] = content_disposition(filename)
    # Batch zips and course files carry partners' details: no shared cache may keep them (nor
    # the redirect, whose address is a short-lived credential).
    response.headers["Cache-Control"] = "private, no-store"
    return response
