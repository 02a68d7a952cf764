"""Server time of a co-branded download: first render vs a repeat from the render cache.

Goal (issue 4): a repeated download of the same asset for the same brand is served from the
cache in under 10 ms of server time. Measured in-process through the WSGI app (no network), on
the demo brochure, newsletter and social image, with SQLite or DATABASE_URL.

    .venv/bin/python bench/bench_library.py [--runs 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cobrand-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.db'}")
    os.environ["STORAGE_DIR"] = str(tmp / "storage")
    os.environ["SECRET_KEY"] = "bench"  # noqa: S105 - a throwaway key for a throwaway database

    from app import create_app
    from app.cli import _demo, _migrate

    app = create_app()
    with app.app_context():
        _migrate()
        _demo()
    client = app.test_client()
    token = client.post(
        "/api/v1/tokens", json={"email": "anna@alpine-it.example", "password": "cobrand-demo"}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assets = {a["name"]: a for a in client.get("/api/v1/assets", headers=headers).json["items"]}
    print(f"database: {app.config['DATABASE_URL'].split(':')[0]}, runs: {args.runs}")
    print(
        f"{'asset':40} {'format':6} {'first ms':>9} {'cached median ms':>17} "
        f"{'p95 ms':>7} {'ratio':>6}"
    )
    for name, fmt in [
        ("Nimbus Cloud Platform brochure", "pdf"),
        ("Launch post: Nimbus Cloud 5.0", "png"),
        ("Newsletter: Nimbus Cloud 5.0 launch", "html"),
    ]:
        url = f"/api/v1/assets/{assets[name]['id']}/render?format={fmt}"
        t0 = time.perf_counter()
        assert client.get(url, headers=headers).status_code == 200
        first = (time.perf_counter() - t0) * 1000
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            r = client.get(url, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200
        times.sort()
        median = statistics.median(times)
        print(
            f"{name[:40]:40} {fmt:6} {first:9.1f} {median:17.2f} "
            f"{times[int(len(times) * 0.95)]:7.2f} {first / median:6.1f}"
        )


if __name__ == "__main__":
    main()
