"""The engine is called from the threads of one web process (gunicorn --threads, the dev server):
PDFium, which draws the previews, is not thread-safe, and once crashed a test server's process
when two previews were drawn at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asset_engine import render_preview
from tests.asset_engine.engine_helpers import make_pdf


def test_previews_drawn_from_many_threads_at_once_are_whole_and_identical() -> None:
    pdf = make_pdf([{}, {}, {}])
    expected = {page: render_preview(pdf, page=page, width=400) for page in (1, 2, 3)}
    jobs = [(1 + n % 3) for n in range(48)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        drawn = list(pool.map(lambda page: (page, render_preview(pdf, page=page, width=400)), jobs))
    assert all(png == expected[page] for page, png in drawn)
