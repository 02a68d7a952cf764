"""Deal conflict check: accuracy on a labelled set of name pairs, and speed at 100,000 accounts.

Accuracy: bench/data/deal_name_pairs.csv (query, candidate, aliases, label; positives are the
same company written differently, negatives include hard ones such as "General Motors" /
"General Mills", "Deutsche Bank" / "Deutsche Bahn"). Each pair is judged twice: alone, and with
the candidate hidden among 100,000 generated accounts (the shortlist must still find it, and a
negative query must not reach it). Goal (issue 11): precision and recall at least 0.95 each.

Speed: the check as the API runs it (``prm_domain.deals.conflicts.find_conflicts``: shortlist
by indexed keys in the database, then rapidfuzz over the shortlist) against 100,000 accounts in
a SQLite file, and the same through the in-memory ``NameIndex``. Goal: median under 20 ms.

    .venv/bin/python bench/bench_deal_conflicts.py [--accounts 100000] [--queries 1000] [--no-db]
"""

# ruff: noqa: S311, SIM905 - seeded generators make reproducible data; word lists read better as text
from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prm_domain.deals import matching, names  # noqa: E402

PAIRS = ROOT / "bench" / "data" / "deal_name_pairs.csv"
SYLLABLES = (
    "al ar bel cor dan del ex fin gal hel in jor kal lum mar nor ol pan quin ros sal tel ul "
    "ven wes xan yor zen bra cre dro fla gre plo pri sta tra vol bri cla kor lin mon nex pro "
    "qua ren sol tor uni vex"
).split()
WORDS = (
    "river stone bridge harbor summit pine oak maple cedar eagle falcon lion tiger north star "
    "blue green red silver golden bright clear rapid prime true nova terra aqua sky sun moon"
).split()
TAILS = (
    "Systems,Solutions,Group,Holdings,Technologies,Logistics,Foods,Energy,Capital,Consulting,"
    "Labs,Networks,Partners,Industries,Software,Health,Media,Services,Manufacturing,Retail"
).split(",")
SUFFIXES = ["Inc.", "LLC", "GmbH", "Ltd", "S.A.", "AG", "plc", "Corp.", "B.V.", "", "", ""]


def fake_name(rng: random.Random) -> str:
    brand = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    parts = [brand]
    if rng.random() < 0.35:
        parts.insert(0 if rng.random() < 0.5 else 1, rng.choice(WORDS).capitalize())
    if rng.random() < 0.7:
        parts.append(rng.choice(TAILS))
    suffix = rng.choice(SUFFIXES)
    return " ".join(parts) + (f" {suffix}" if suffix else "")


def typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, max(2, len(name) - 1))
    return name[:i] + name[i + 1 :] if rng.random() < 0.5 else name[:i] + name[i] + name[i:]


def crowd(n: int, seed: int = 11) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        name = fake_name(rng)
        key = names.normalise(name)
        if key in seen:
            continue
        seen.add(key)
        domain = f"{key.replace(' ', '')[:20]}.example" if rng.random() < 0.5 else ""
        out.append((name, domain))
    return out


def load_pairs() -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def accuracy(pairs: list[dict[str, str]], index: matching.NameIndex | None) -> tuple[float, float]:
    tp = fp = fn = 0
    for n, row in enumerate(pairs):
        aliases = tuple(a for a in row["aliases"].split(";") if a)
        ref = -(n + 1)  # the pair's candidate, among the crowd when there is one
        cand = matching.Candidate(ref, row["candidate"], aliases)
        if index is None:
            found = bool(matching.NameIndex([cand]).search(row["query"]))
        else:
            index.add(cand)
            found = any(h.ref == ref for h in index.search(row["query"]))
        truth = row["label"] == "1"
        tp += found and truth
        fp += found and not truth
        fn += truth and not found
    return tp / (tp + fp), tp / (tp + fn)


def timings(fn: object, queries: list[tuple[str, str | None]]) -> tuple[float, float, float]:
    ms = []
    for company, email in queries:
        start = time.perf_counter()
        fn(company, email)  # type: ignore[operator]
        ms.append((time.perf_counter() - start) * 1000)
    ms.sort()
    return statistics.median(ms), ms[int(len(ms) * 0.95)], ms[-1]


def queries_for(accounts: list[tuple[str, str]], n: int) -> list[tuple[str, str | None]]:
    rng = random.Random(5)
    out: list[tuple[str, str | None]] = []
    for i in range(n):
        name, domain = rng.choice(accounts)
        kind = i % 4
        if kind == 0:  # the same company, typed with a typo
            out.append((typo(name, rng), None))
        elif kind == 1:  # a company that is not there, with a company email
            out.append((fake_name(random.Random(10_000_000 + i)), "jo@unknown-company.example"))
        elif kind == 2:  # by its email domain
            out.append(("Someone Else Ltd", f"jo@{domain}" if domain else "jo@gmail.com"))
        else:  # an acronym-ish short query
            out.append(("".join(w[0] for w in name.split()[:3]).upper(), None))
    return out


def database_check(accounts: list[tuple[str, str]], queries: list[tuple[str, str | None]]) -> Any:
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from prm_domain.database import make_engine, upgrade
    from prm_domain.deals import conflicts
    from prm_domain.models import CrmAccount, DealMatchKey

    tmp = tempfile.mkdtemp()
    engine = make_engine(f"sqlite:///{tmp}/bench.db")
    upgrade(engine)
    started = time.perf_counter()
    rows, keys = [], []
    for i, (name, domain) in enumerate(accounts, start=1):
        rows.append({"id": i, "name": name, "name_key": names.normalise(name), "domain": domain,
                     "aliases": [], "owner": "", "stage": ""})  # fmt: skip
        cand = matching.Candidate(i, name, (), domain)
        keys += [{"source": "account", "ref_id": i, "key": k} for k in cand.keys]
    with Session(engine) as session:
        session.execute(insert(CrmAccount), rows)
        session.execute(insert(DealMatchKey), keys)
        session.commit()
    print(f"  loaded {len(rows):,} accounts, {len(keys):,} keys in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    with Session(engine) as session:
        result = timings(lambda c, e: conflicts.find_conflicts(session, c, e), queries)
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--no-db", action="store_true")
    args = parser.parse_args()

    pairs = load_pairs()
    positives = sum(r["label"] == "1" for r in pairs)
    print(f"labelled pairs: {len(pairs)} ({positives} same company, {len(pairs) - positives} not)")
    p, r = accuracy(pairs, None)
    print(f"  pairs alone:            precision {p:.3f}  recall {r:.3f}")

    accounts = crowd(args.accounts)
    started = time.perf_counter()
    index = matching.NameIndex(
        matching.Candidate(i, n, (), d) for i, (n, d) in enumerate(accounts, 1)
    )
    print(f"in-memory index of {len(index):,} accounts built in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    p, r = accuracy(pairs, index)
    print(f"  pairs among {len(accounts):,}: precision {p:.3f}  recall {r:.3f}")

    queries = queries_for(accounts, args.queries)
    med, p95, worst = timings(index.search, queries)
    print(f"  in-memory check: median {med:.2f} ms  p95 {p95:.2f} ms  max {worst:.2f} ms")
    if not args.no_db:
        med, p95, worst = database_check(accounts, queries)
        print(f"  database check (SQLite): median {med:.2f} ms  p95 {p95:.2f} ms  "
              f"max {worst:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
