"""The app as the Procfile serves it, plus a hello-world JSON route: the ceiling that
bench_scale.py compares the real endpoints with (the same gunicorn, Flask and nothing else)."""

from __future__ import annotations

from flask import Flask, jsonify

from app import create_app as create_cobrand_app


def create_app() -> Flask:
    app = create_cobrand_app()

    @app.get("/bench/hello")
    def hello() -> object:
        return jsonify(hello="world")

    return app
