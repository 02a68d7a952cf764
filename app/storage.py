"""The app's file store: local and content-addressed by default (STORAGE_DIR)."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app

from prm_domain.storage import LocalStorage, Storage


def init_app(app: Flask) -> Storage:
    store = LocalStorage(app.config["STORAGE_DIR"])
    app.extensions["cobrand.storage"] = store
    return store


def storage() -> Storage:
    return cast(Storage, current_app.extensions["cobrand.storage"])  # extensions is untyped
