"""The compiled code the test apps share (tests/compile_cache.py) is what each app would build."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from jinja2 import Environment

from tests import compile_cache


def test_shared_url_builders_are_the_ones_a_fresh_compile_makes(app: Flask) -> None:
    shared = 0
    rules = list(app.url_map.iter_rules())
    for rule in rules:
        for append_unknown in (False, True):
            fresh = compile_cache.compile_builder(rule, append_unknown)
            used = rule._compile_builder(append_unknown)
            assert used.__code__ == fresh.__code__, rule.rule
            shared += compile_cache.builder_key(rule, append_unknown) is not None
    assert shared == 2 * len(rules) > 200  # the memo is in use, not bypassed
    # A shared builder is bound to its own rule's converters.
    with app.test_request_context():
        assert app.url_for("portal.partner_detail", partner_id=7) == "/partners/7"


def test_shared_templates_are_the_ones_a_fresh_compile_makes(
    app: Flask, client: FlaskClient
) -> None:
    assert client.get("/sign-in").status_code == 200
    env: Environment = app.jinja_env
    assert env.bytecode_cache is compile_cache.TEMPLATES
    loader = env.loader
    assert loader is not None
    compared = 0
    for name in env.list_templates():
        source, filename, _ = loader.get_source(env, name)
        bucket = compile_cache.TEMPLATES.get_bucket(env, name, filename, source)
        if bucket.code is None:
            continue  # not rendered in this process yet
        assert bucket.code == env.compile(source, name, filename), name
        compared += 1
    assert compared >= 1
