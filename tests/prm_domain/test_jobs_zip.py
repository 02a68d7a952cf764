"""A batch's zip is written through a spooled file and stored as a stream: building it for
many large renders keeps the process's memory at a few megabytes."""

from __future__ import annotations

import os
import tracemalloc
import zipfile
from pathlib import Path

from prm_domain.jobs import write_zip
from prm_domain.storage import LocalStorage


def test_the_zip_of_many_large_renders_is_built_in_bounded_memory(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "store")
    count, size = 12, 2 * 1024 * 1024  # 24 MB of renders that do not compress
    results = []
    for i in range(count):
        key = store.put(os.urandom(size))
        # Two partners with the same file name: the second is told apart by its id.
        results.append([i + 1, key, "brochure-same.pdf" if i < 2 else f"brochure-{i}.pdf"])
    tracemalloc.start()
    try:
        zip_key = write_zip(store, results)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The spool holds up to 8 MB before it moves to disk; the renders pass through in 1 MB.
    assert peak < 12 * 1024 * 1024, (
        f"peak {peak / 1e6:.1f} MB for a {count * size / 1e6:.0f} MB zip"
    )
    with store.open(zip_key) as f, zipfile.ZipFile(f) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names[:3] == ["brochure-same.pdf", "2-brochure-same.pdf", "brochure-2.pdf"]
        assert len(names) == count
        assert archive.read("brochure-5.pdf") == store.get(results[5][1])
    # The same renders make the same zip, so a retried finish stores nothing new.
    assert write_zip(store, results) == zip_key
