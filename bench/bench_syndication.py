"""The embed content endpoint under the production server, against a static file (the ceiling).

gunicorn as in the Procfile (2 workers x 4 threads on this 2-core machine), the demo data and a
demo partner's block embed; wrk on loopback with 64 connections for each of: a full response,
a 304 (If-None-Match), and a static file served by the same server. Goal (issue 5): at least half
the static-file rate, p99 under 50 ms.

    .venv/bin/python bench/bench_syndication.py [--seconds 10]

Needs wrk (Debian package `wrk`). Uses DATABASE_URL if set, else a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ORIGIN = "https://alpine-it.example"


def wrk(url: str, seconds: int, headers: dict[str, str]) -> dict[str, float]:
    args = ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", out, re.M)
        assert m, out
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": ms("50"),
        "p99": ms("99"),
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="cobrand-synd-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp / 'b.db'}"),
        "STORAGE_DIR": str(tmp / "storage"),
        "SECRET_KEY": "bench",
        "PUBLIC_BASE_URL": base,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    subprocess.run(["cobrand", "migrate"], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run(["cobrand", "demo"], env=env, check=True, cwd=ROOT, capture_output=True)
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        {k: env[k] for k in ("DATABASE_URL", "STORAGE_DIR", "SECRET_KEY", "PUBLIC_BASE_URL")}
    )
    from app import create_app

    app = create_app()
    client = app.test_client()
    token = client.post(
        "/api/v1/tokens", json={"email": "anna@alpine-it.example", "password": "cobrand-demo"}
    ).json["token"]
    r = client.post(
        "/api/v1/embeds",
        json={"kind": "block", "allowed_domains": ["alpine-it.example"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    key = r.json["key"]
    app.extensions["cobrand.db"].engine.dispose()
    web = subprocess.Popen(
        [
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        url = f"{base}/syndication/v1/embeds/{key}"
        for _ in range(100):
            try:
                req = urllib.request.Request(url, headers={"Origin": ORIGIN})
                with urllib.request.urlopen(req, timeout=2) as resp:
                    etag = resp.headers["ETag"]
                    body = resp.read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not start")
        static = f"{base}/static/css/app.css"
        results = {
            "static file (ceiling)": wrk(static, args.seconds, {}),
            "content, full response": wrk(url, args.seconds, {"Origin": ORIGIN}),
            "content, 304": wrk(url, args.seconds, {"Origin": ORIGIN, "If-None-Match": etag}),
        }
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)
    ceiling = results["static file (ceiling)"]["rps"]
    print(
        f"database: {env['DATABASE_URL'].split(':')[0]}; content body {len(body)} bytes; "
        f"wrk -t2 -c64 -d{args.seconds}s"
    )
    print(f"{'request':26} {'req/s':>8} {'vs static':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
    for name, r in results.items():
        print(
            f"{name:26} {r['rps']:8.0f} {r['rps'] / ceiling:9.2f} {r['p50']:7.2f} {r['p99']:7.2f} "
            f"{r['errors']:6d}"
        )


if __name__ == "__main__":
    main()
