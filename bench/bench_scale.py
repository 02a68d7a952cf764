"""The product at real size (issue 12): the size-up data set on Postgres, under gunicorn.

Loads ``cobrand demo --scale`` (1,000 partners, 10,000 assets and items, 1,000 embeds, 100,000
leads, a year of daily events) into its own Postgres database once, starts gunicorn as in the
Procfile (2 workers x 1 thread) and measures with wrk on loopback:

- a hello-world JSON route on the same gunicorn (the ceiling: Flask, nothing else);
- library lists, search and filters through the API, as a partner and as the vendor;
- embed content for a random mix of the 1,000 embed keys (each with its own allowed origin),
  so the per-process cache mostly misses;
- the leads list, an embed's stats and the leads CSV export as a partner.

It prints the query plans (EXPLAIN ANALYZE) of a partner's library page and its total, of an
embed's content (one kind) and of a partner's leads list, which show the indexes being used.

    .venv/bin/python bench/bench_scale.py [--seconds 10] [--database-url URL]

Needs wrk (Debian package ``wrk``), a Postgres server (default: the local one, database
``cobrand_scale``, created when missing) and Redis (default: the local one, database 15, where
the web processes share embed answers as in production; the bench's keys are cleared first).

Embed content is measured three ways: after one view of every embed (the steady state: each
answer is kept until something it shows changes), at 64 connections next to hello-world at 64,
and on a second gunicorn with the caches off (every answer computed: a miss's cost).
"""

from __future__ import annotations

import argparse
import json
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cobrand_scale"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
PARTNER = "admin@scale0003.example"
PASSWORD = "cobrand-demo"  # noqa: S105 - the demo's published password
VENDOR = "admin@nimbus.example"
GOAL_P95_MS = 100.0

# wrk picks one of the partners' API tokens at random for every request (the library as many
# partners see it: each audience its own rows and totals). Every request on a new connection.
RANDOM_PARTNER_LUA = """
local tokens = {}
for line in io.lines("%s") do tokens[#tokens + 1] = line end
math.randomseed(os.time())
request = function()
  local t = tokens[math.random(#tokens)]
  return wrk.format("GET", "%s", {["Authorization"] = "Bearer " .. t, ["Connection"] = "close"})
end
"""

# wrk picks one of the embeds at random for every request, with that embed's own origin.
RANDOM_EMBED_LUA = """
local embeds = {}
for line in io.lines("%s") do
  local key, origin = line:match("([^ ]+) ([^ ]+)")
  embeds[#embeds + 1] = {key, origin}
end
math.randomseed(os.time())
request = function()
  local e = embeds[math.random(#embeds)]
  return wrk.format("GET", "/syndication/v1/embeds/" .. e[1], {["Origin"] = e[2]})
end
"""


def wrk(
    url: str,
    seconds: int,
    headers: dict[str, str],
    *,
    connections: int = 16,
    script: str | None = None,
) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    if script:
        args += ["-s", script]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", out, re.M)
        assert m, out
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    # wrk's --latency prints 50/75/90/99; p95 comes from interpolating 90 and 99.
    p90, p99 = ms("90"), ms("99")
    return {
        "rps": rps,
        "p50": ms("50"),
        "p95": p90 + (p99 - p90) * (5 / 9),
        "p99": p99,
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def start_gunicorn(
    env: dict[str, str], port: int, base: str, threads: int = 1
) -> subprocess.Popen[bytes]:
    """gunicorn as in the Procfile (2 workers, 1 thread each: the sync worker), once it
    answers; ``threads`` > 1 for the comparison with threaded workers."""
    web = subprocess.Popen(
        [
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            "bench.scale_app:create_app()",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    for _ in range(150):
        try:
            with urllib.request.urlopen(f"{base}/bench/hello", timeout=2):
                return web
        except OSError:
            time.sleep(0.2)
    stop(web)
    sys.exit("gunicorn did not start")


def stop(web: subprocess.Popen[bytes]) -> None:
    os.killpg(web.pid, signal.SIGTERM)
    try:
        web.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(web.pid, signal.SIGKILL)


def warm(base: str, embeds_file: Path) -> None:
    """One view of every embed, eight at a time."""
    from concurrent.futures import ThreadPoolExecutor

    def view(line: str) -> None:
        key, origin = line.split()
        req = urllib.request.Request(
            f"{base}/syndication/v1/embeds/{key}", headers={"Origin": origin}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(view, embeds_file.read_text().splitlines()))


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def portal_cookie(base: str, email: str) -> str:
    """A signed-in portal session's cookies, as a Cookie header (the sign-in form, CSRF and all)."""
    import http.cookiejar
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/sign-in", timeout=30) as resp:
        page = resp.read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {"email": email, "password": PASSWORD, **({"csrf_token": csrf.group(1)} if csrf else {})}
    with opener.open(f"{base}/sign-in", urllib.parse.urlencode(form).encode(), timeout=30) as resp:
        resp.read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def get_json(url: str, token: str) -> Any:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def explain(env: dict[str, str]) -> str:
    """The plans of a partner's library page and of an embed's content query."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select, text
    from sqlalchemy.orm import Session

    from prm_domain import access
    from prm_domain.base import utcnow
    from prm_domain.database import make_engine
    from prm_domain.enums import ItemKind
    from prm_domain.models import Asset, Embed, Lead, SyndicatedItem, User

    engine = make_engine(env["DATABASE_URL"])
    out = []
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.email == PARTNER))
        assert user is not None and user.partner is not None
        partner = user.partner
        embed = session.scalar(select(Embed).where(Embed.partner_id == partner.id).limit(1))
        # As prm_domain.assets.list_assets and prm_domain.syndication.public.live_items ask.
        queries = {
            "partner library page (24 newest visible assets, checked row by row)": select(Asset.id)
            .where(access.assets_visible_where(partner, per_row=True))
            .order_by(Asset.updated_at.desc(), Asset.id.desc())
            .limit(24),
            "partner library total (the grouped audience subquery, probed)": select(
                func.count()
            ).select_from(select(Asset.id).where(access.assets_visible_where(partner)).subquery()),
            "embed content, one kind (the 24 newest banners visible to the partner)": select(
                SyndicatedItem.id
            )
            .where(
                access.items_visible_where(partner, utcnow(), per_row=True),
                SyndicatedItem.kind == ItemKind.BANNER,
            )
            .order_by(SyndicatedItem.id.desc())
            .limit(24),
            "partner leads list (50 newest)": select(Lead.id)
            .where(Lead.partner_id == partner.id)
            .order_by(Lead.id.desc())
            .limit(50),
        }
        for title, stmt in queries.items():
            sql = stmt.compile(engine, compile_kwargs={"literal_binds": True})
            plan = session.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")).scalars()
            out.append(f"-- {title}\n" + "\n".join(plan))
        assert embed is not None
    engine.dispose()
    return "\n\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--database-url", default=os.environ.get("SCALE_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="cobrand-scale-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    ensure_database(args.database_url)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "STORAGE_DIR": str(ROOT / "instance" / "scale-storage"),
        "SECRET_KEY": "bench",
        "PUBLIC_BASE_URL": base,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        # As in production: Redis shares the embeds' answers between the web processes.
        "REDIS_URL": os.environ.get("SCALE_REDIS_URL", DEFAULT_REDIS),
        "RATE_LIMIT_PREFIX": "cobrand-bench-scale",
        # The API's sign-in limits would refuse a benchmark's many token requests.
        "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
        "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "10000 per minute",
    }
    subprocess.run(["cobrand", "migrate"], env=env, check=True, cwd=ROOT, capture_output=True)
    started = time.perf_counter()
    load = subprocess.run(
        ["cobrand", "demo", "--scale"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    print(f"size-up data set: {time.perf_counter() - started:.1f} s")
    print("\n".join(line for line in load.stdout.splitlines() if ":" in line and "@" not in line))

    embeds_file = tmp / "embeds.txt"
    import psycopg

    with psycopg.connect(args.database_url) as conn:
        rows = conn.execute(
            "SELECT e.key, e.allowed_domains FROM embed e JOIN partner p ON p.id = e.partner_id "
            "WHERE e.name LIKE 'Website embed %%' AND p.status = 'active'"
        ).fetchall()
        partner_emails = [
            r[0]
            for r in conn.execute(
                "SELECT u.email FROM user_account u JOIN partner p ON p.id = u.partner_id "
                "WHERE p.status = 'active' AND u.email LIKE 'admin@scale%%' "
                "ORDER BY md5(u.email) LIMIT 50"
            )
        ]
    embeds_file.write_text(
        "".join(
            f"{key} https://{json.loads(d)[0] if isinstance(d, str) else d[0]}\n" for key, d in rows
        )
    )
    import redis

    shared = redis.Redis.from_url(env["REDIS_URL"])
    for name in shared.scan_iter("cobrand-bench-scale:*"):
        shared.delete(name)  # a cold start: no answer kept from an earlier run
    lua = tmp / "random_embed.lua"
    lua.write_text(RANDOM_EMBED_LUA % embeds_file)

    web = start_gunicorn(env, port, base)
    try:
        partner = post_json(f"{base}/api/v1/tokens", {"email": PARTNER, "password": PASSWORD})
        vendor = post_json(f"{base}/api/v1/tokens", {"email": VENDOR, "password": PASSWORD})
        # Pages and lists: every request on a new connection, as many people's browsers reach
        # the web processes through a proxy (each connection goes to whichever process accepts
        # it; the sync worker closes it after its answer anyway).
        close = {"Connection": "close"}
        ph = {"Authorization": f"Bearer {partner['token']}", **close}
        vh = {"Authorization": f"Bearer {vendor['token']}", **close}
        pc = {"Cookie": portal_cookie(base, PARTNER), **close}
        vc = {"Cookie": portal_cookie(base, VENDOR), **close}
        tokens_file = tmp / "tokens.txt"
        tokens_file.write_text(
            "".join(
                post_json(f"{base}/api/v1/tokens", {"email": email, "password": PASSWORD})["token"]
                + "\n"
                for email in partner_emails
            )
        )
        token_lua = tmp / "random_token.lua"
        token_lua.write_text(RANDOM_PARTNER_LUA % (tokens_file, "/api/v1/assets?per_page=24"))
        embed_id = get_json(f"{base}/api/v1/embeds", partner["token"])["items"][0]["id"]
        sec = args.seconds
        api = f"{base}/api/v1"
        results = {
            "hello-world JSON (ceiling)": wrk(f"{base}/bench/hello", sec, {}),
            "hello-world JSON, a new connection per request": wrk(
                f"{base}/bench/hello", sec, close
            ),
            "API partner: library page": wrk(f"{api}/assets?per_page=24", sec, ph),
            f"API partner: library page, {len(partner_emails)} partners at random": wrk(
                f"{api}/assets", sec, {}, script=str(token_lua)
            ),
            "API partner: library search": wrk(f"{api}/assets?q=backup&per_page=24", sec, ph),
            "API partner: library filters": wrk(
                f"{api}/assets?kind=pdf&category=Brochures&per_page=24", sec, ph
            ),
            "API partner: library tag, page 3": wrk(
                f"{api}/assets?tag=cloud&page=3&per_page=24", sec, ph
            ),
            "API vendor: library page": wrk(f"{api}/assets?per_page=24", sec, vh),
            "API vendor: library search": wrk(f"{api}/assets?q=backup&per_page=24", sec, vh),
            "API partner: leads list": wrk(f"{api}/leads?per_page=50", sec, ph),
            "API vendor: leads list": wrk(f"{api}/leads?per_page=50", sec, vh),
            "API partner: embed stats": wrk(f"{api}/embeds/{embed_id}/stats", sec, ph),
            "portal partner: dashboard": wrk(f"{base}/", sec, pc),
            "portal partner: library": wrk(f"{base}/library", sec, pc),
            "portal partner: library search": wrk(f"{base}/library?q=backup", sec, pc),
            "portal vendor: library": wrk(f"{base}/library", sec, vc),
            "portal partner: leads": wrk(f"{base}/leads", sec, pc),
            "portal vendor: leads": wrk(f"{base}/leads", sec, vc),
            "portal partner: embed stats": wrk(f"{base}/embeds/{embed_id}/stats", sec, pc),
            "API partner: leads CSV export": wrk(f"{api}/leads/export.csv", sec, ph, connections=4),
        }
        # Each embed's first view (a website's first visitor after a change) computes the
        # answer and leaves it in Redis and in that web process; the other process takes it
        # from Redis at its own first view. Timed here, then the steady state measured.
        started = time.perf_counter()
        warm(base, embeds_file)
        print(
            f"first view of each of the {len(rows)} embeds: {time.perf_counter() - started:.1f} s"
        )
        results["embed content, random keys (cached until changed)"] = wrk(
            f"{base}/syndication/v1/embeds/x", sec, {}, script=str(lua)
        )
        # Many more visitors at once than threads: the queue, the same for both.
        results["hello-world JSON, 64 connections"] = wrk(
            f"{base}/bench/hello", sec, {}, connections=64
        )
        results["embed content, random keys (cached), 64 connections"] = wrk(
            f"{base}/syndication/v1/embeds/x", sec, {}, script=str(lua), connections=64
        )
    finally:
        stop(web)
    # Every answer computed: the same mix on a gunicorn whose caches are off (what a burst of
    # first views after a change costs, before the caches hold the new answers).
    web = start_gunicorn({**env, "SYNDICATION_CACHE_SECONDS": "0"}, port, base)
    try:
        results["embed content, random keys, every answer computed"] = wrk(
            f"{base}/syndication/v1/embeds/x", sec, {}, script=str(lua)
        )
    finally:
        stop(web)
    # The same pages on threaded workers (2 processes x 4 threads, the Procfile's earlier
    # default): threads of one process take turns on its interpreter lock.
    web = start_gunicorn(env, port, base, threads=4)
    try:
        for name, url, headers in (
            ("API partner: library page", f"{api}/assets?per_page=24", ph),
            ("portal partner: library", f"{base}/library", pc),
            ("portal vendor: leads", f"{base}/leads", vc),
        ):
            results[f"{name}, 2 workers x 4 threads"] = wrk(url, sec, headers)
    finally:
        stop(web)
    ceiling = results["hello-world JSON (ceiling)"]["rps"]
    print(
        f"\nwrk -t2 -d{sec}s, 16 connections unless named (4 for the CSV export); pages and "
        "lists on a new connection per request unless named"
    )
    print("| request | req/s | vs hello | p50 ms | p95 ms | p99 ms | non-2xx |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        print(
            f"| {name} | {r['rps']:,.0f} | {r['rps'] / ceiling:.2f} | {r['p50']:.1f} | "
            f"{r['p95']:.1f} | {r['p99']:.1f} | {r['errors']:.0f} |"
        )
    pages = {
        n: r for n, r in results.items() if n.startswith(("API", "portal")) and "threads" not in n
    }
    slow = [n for n, r in pages.items() if r["p95"] > GOAL_P95_MS]
    steady = results["embed content, random keys (cached until changed)"]
    print(
        f"embed content (cached until changed): {steady['rps'] / ceiling:.2f}x hello-world "
        f"(goal 0.5x), p99 {steady['p99']:.1f} ms (goal 50)"
    )
    print(f"\npages and lists over {GOAL_P95_MS:.0f} ms at p95: {slow or 'none'}")
    print("\n" + explain(env))


if __name__ == "__main__":
    main()
