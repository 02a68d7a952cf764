"""Change tokens (prm_domain.changes) on real commits: no test harness transaction around them."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, event, select, text, update
from sqlalchemy.orm import Session

from prm_domain import changes
from prm_domain.database import make_engine, make_sessionmaker, upgrade
from prm_domain.enums import PartnerType, Region
from prm_domain.models import AuditEvent, Partner, Tier
from prm_domain.pagination import paginate
from tests.conftest import drop_postgres_schema, postgres_engine
from tests.requirements import need_env


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    schema = None
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('changes') / 'c.db'}")
    else:
        need_env("TEST_DATABASE_URL", "Postgres for change tokens on real commits")
        schema = f"c_{uuid.uuid4().hex[:12]}"
        engine = postgres_engine(schema)
    upgrade(engine)
    with Session(engine) as s:
        s.add(
            Tier(
                name="Gold", rank=1, description="", mdf_share_percent=Decimal("2.50"),
                discount_percent=Decimal("10.00"), content_access=["standard"],
            )
        )  # fmt: skip
        s.commit()
    yield engine
    engine.dispose()
    if schema:
        drop_postgres_schema(schema)


def _tokens(engine: Engine, *tables: str) -> tuple[str, ...]:
    with Session(engine) as s:
        return changes.read_tokens(s, tables)


def _partner(s: Session, name: str) -> Partner:
    tier = s.scalars(select(Tier)).first()
    assert tier is not None
    partner = Partner(
        name=name, name_key=name.lower(), type=PartnerType.MSP, tier_id=tier.id,
        country="DE", region=Region.EMEA,
    )  # fmt: skip
    s.add(partner)
    return partner


def _dpa_partner(engine: Engine, name: str, *, signed: bool = False) -> tuple[int, int]:
    """A committed partner and a new DPA version (signed by it, or not): their ids."""
    from prm_domain.models import DpaSignature, DpaVersion

    with Session(engine) as s:
        partner = _partner(s, f"{name} {uuid.uuid4().hex[:6]}")
        version = DpaVersion(version=f"{name}-{uuid.uuid4().hex[:6]}", text="Terms.")
        s.add(version)
        s.flush()
        if signed:
            s.add(DpaSignature(partner_id=partner.id, version_id=version.id))
        s.commit()
        return partner.id, version.id


def test_a_committed_write_replaces_the_tables_token_and_nothing_else_does(db: Engine) -> None:
    # A partner's deletion reaches its embeds, brand kit and leads (ON DELETE CASCADE); adding
    # one changes the partner table only.
    assert changes._reaches("partner") >= {"partner", "embed", "brand_kit", "lead"}
    before = _tokens(db, "partner", "lead", "asset", "syndicated_item")
    with Session(db) as s:
        _partner(s, f"Rolled back {uuid.uuid4().hex[:6]}")
        s.flush()
        s.rollback()
    assert _tokens(db, "partner", "lead", "asset", "syndicated_item") == before  # rolled back
    with Session(db) as s:
        _partner(s, f"Kept {uuid.uuid4().hex[:6]}")
        s.commit()
    after = _tokens(db, "partner", "lead", "asset", "syndicated_item")
    assert after[0] != before[0] and after[1:] == before[1:]


@pytest.mark.parametrize(
    "write",
    [
        # ORM bulk UPDATE: no object in the session knows of it.
        lambda s: s.execute(update(Partner).values(timezone="Europe/Berlin")),
        # Raw SQL, as a data fix or a report job might send it.
        lambda s: s.execute(text("UPDATE partner SET timezone = 'UTC'")),
        # A statement that starts with WITH.
        lambda s: s.execute(
            text("WITH x AS (SELECT 1) DELETE FROM partner WHERE name = 'nobody at all'")
        ),
    ],
    ids=["bulk-update", "raw-sql", "cte-delete"],
)
def test_writes_past_the_orm_are_seen(db: Engine, write) -> None:
    before = _tokens(db, "partner")
    with Session(db) as s:
        write(s)
        s.commit()
    assert _tokens(db, "partner") != before


def test_reads_and_unwatched_writes_change_no_token(db: Engine) -> None:
    before = _tokens(db, *sorted(changes.WATCHED))
    with Session(db) as s:
        s.execute(select(Partner).with_for_update()).all()
        s.execute(text("DELETE FROM audit_event WHERE id = -1"))
        s.commit()
    assert _tokens(db, *sorted(changes.WATCHED)) == before


def test_the_clock_remembers_until_a_commit_of_its_process(db: Engine) -> None:
    clock = changes.ChangeClock(check_seconds=60)
    sessions = make_sessionmaker(db, clock)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(db, "before_cursor_execute", seen)
    try:
        with sessions() as s:
            first = clock.tokens(s, ["partner"])
        with sessions() as s:
            statements.clear()
            assert clock.tokens(s, ["partner"]) == first
            assert not any("change_token" in st for st in statements)  # from memory
            _partner(s, f"Clock {uuid.uuid4().hex[:6]}")
            s.commit()
        with sessions() as s:
            assert clock.tokens(s, ["partner"]) != first  # asked again at once
    finally:
        event.remove(db, "before_cursor_execute", seen)
    with pytest.raises(ValueError, match="not watched"), sessions() as s:
        clock.tokens(s, ["audit_event"])


def test_a_lists_total_is_kept_until_its_table_changes(db: Engine) -> None:
    sessions = make_sessionmaker(db, changes.ChangeClock(check_seconds=60))
    counts: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT COUNT"):
            counts.append(statement)

    stmt = select(Partner).order_by(Partner.id)
    with sessions() as s:
        total = paginate(s, stmt).total
    event.listen(db, "before_cursor_execute", seen)
    try:
        with sessions() as s:
            assert paginate(s, stmt).total == total and counts == []
            _partner(s, f"Counted {uuid.uuid4().hex[:6]}")
            s.commit()
        with sessions() as s:
            assert paginate(s, stmt).total == total + 1 and len(counts) == 1
        # A count over a table that is not watched is never kept.
        with sessions() as s:
            paginate(s, select(AuditEvent))
            paginate(s, select(AuditEvent))
        assert len(counts) == 3
    finally:
        event.remove(db, "before_cursor_execute", seen)


def test_concurrent_commits_each_replace_the_token(db: Engine) -> None:
    """Many writers at once: every commit goes through (on Postgres the token row is locked
    only for the commit itself; SQLite's writers take turns), and the token moved on."""
    before = _tokens(db, "partner")
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with Session(db) as s:
                _partner(s, f"Parallel {n} {uuid.uuid4().hex[:6]}")
                s.flush()
                s.execute(update(Partner).where(Partner.name == "nobody").values(country="FR"))
                s.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert _tokens(db, "partner") != before


def test_migrating_replaces_every_token(db: Engine) -> None:
    before = _tokens(db, *sorted(changes.WATCHED))
    upgrade(db)
    after = _tokens(db, *sorted(changes.WATCHED))
    assert all(a != b for a, b in zip(after, before, strict=True))


def test_a_total_of_what_the_transaction_changed_is_its_own(db: Engine) -> None:
    """A transaction that wrote the counted table counts for itself, and its total is never
    kept for others: rolled back, it would count rows that never were."""
    sessions = make_sessionmaker(db, changes.ChangeClock(check_seconds=60))
    stmt = select(Partner).order_by(Partner.id)
    with sessions() as s:
        before = paginate(s, stmt).total
    with sessions() as s:
        _partner(s, f"Undone {uuid.uuid4().hex[:6]}")
        s.flush()
        assert paginate(s, stmt).total == before + 1
        s.rollback()
    with sessions() as s:
        assert paginate(s, stmt).total == before


def test_what_the_database_changes_on_its_own_counts_as_a_write(db: Engine) -> None:
    """Deleting an embed sets its leads' embed_id to NULL (ON DELETE SET NULL) with no UPDATE of
    lead, and deleting a person clears the leads assigned to them: the lead token moves too.
    Schema-qualified and quoted names are writes of the same table."""
    with Session(db) as s:
        schema = (
            s.execute(text("SELECT current_schema()")).scalar()
            if db.dialect.name == ("postgresql")
            else "main"
        )
    for sql, moved in [
        ("DELETE FROM embed WHERE id = -1", ("embed", "lead")),
        ("DELETE FROM user_account WHERE id = -1", ("lead",)),
        (f'UPDATE "{schema}"."tier" SET rank = rank WHERE id = -1', ("tier",)),
        (f"DELETE FROM {schema}.lead WHERE id = -1", ("lead",)),
    ]:
        before = _tokens(db, *moved)
        with Session(db) as s:
            s.execute(text(sql))
            s.commit()
        after = _tokens(db, *moved)
        assert all(a != b for a, b in zip(after, before, strict=True)), sql


def test_the_dpa_answer_is_asked_again_in_each_transaction(db: Engine) -> None:
    """Memoised per transaction (a request asks it at each gate): a signature made meanwhile by
    another session is seen by the next transaction of a long-lived session (a job's)."""
    from prm_domain import access
    from prm_domain.models import DpaSignature

    partner_id, version_id = _dpa_partner(db, "Signer")
    job = Session(db)
    try:
        p = job.get(Partner, partner_id)
        assert p is not None
        answers = []
        for _ in range(3):
            answers.append(access.dpa_signed(p))
            assert access.dpa_signed(p) == answers[-1]  # asked twice, one answer
            job.commit()
        assert answers == [False, False, False]
        with Session(db) as other:
            other.add(DpaSignature(partner_id=partner_id, version_id=version_id))
            other.commit()
        assert access.dpa_signed(p) is True
    finally:
        job.close()


def test_a_web_process_keeps_the_dpa_answer_until_a_dpa_table_changes(db: Engine) -> None:
    """With a clock (a web process), the answer outlives the request: no query while the DPA
    tables' tokens stay the same; a signature, a new version or a retraction is seen at once by
    the process that committed it (and by the others at their next token read)."""
    from prm_domain import access
    from prm_domain.models import DpaSignature, DpaVersion

    sessions = make_sessionmaker(db, changes.ChangeClock(check_seconds=60))
    with Session(db) as s:
        partner = _partner(s, f"Kept signer {uuid.uuid4().hex[:6]}")
        s.commit()
        partner_id = partner.id
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        if "FROM dpa_version" in statement:
            statements.append(statement)

    def ask() -> bool:
        with sessions() as s:
            p = s.get(Partner, partner_id)
            assert p is not None
            return access.dpa_signed(p)

    event.listen(db, "before_cursor_execute", seen)
    try:
        first = ask()
        asked = len(statements)
        assert ask() is first and len(statements) == asked  # from memory
        with sessions() as s:
            version = DpaVersion(version=f"kept-{uuid.uuid4().hex[:6]}", text="New terms.")
            s.add(version)
            s.commit()
            version_id = version.id
        assert ask() is False  # a new version: unsigned, at once
        with sessions() as s:
            s.add(DpaSignature(partner_id=partner_id, version_id=version_id))
            # Within the signing transaction, its own answer (not the kept one).
            p = s.get(Partner, partner_id)
            assert p is not None and access.dpa_signed(p) is True
            s.commit()
        assert ask() is True
        asked = len(statements)
        assert ask() is True and len(statements) == asked
    finally:
        event.remove(db, "before_cursor_execute", seen)


def test_any_read_only_answer_is_kept_by_its_purpose_until_its_tables_change(db: Engine) -> None:
    """changes.kept: the library's categories use it as counts do; two purposes asking the same
    statement never share an answer."""
    sessions = make_sessionmaker(db, changes.ChangeClock(check_seconds=60))
    stmt = select(Partner.name).order_by(Partner.name)
    runs: list[str] = []

    def names(s: Session, purpose: str) -> list[str]:
        def compute() -> list[str]:
            runs.append(purpose)
            return list(s.scalars(stmt))

        return changes.kept(s, purpose, stmt, compute)

    with sessions() as s:
        first = names(s, "names")
        assert names(s, "names") == first and runs == ["names"]
        assert names(s, "other") == first and runs == ["names", "other"]
    with sessions() as s:
        added = f"Kept {uuid.uuid4().hex[:6]}"
        _partner(s, added)
        s.commit()
    with sessions() as s:
        assert added in names(s, "names") and runs[-1] == "names"


def test_an_answer_from_an_older_snapshot_is_not_kept_as_the_newer_state(db: Engine) -> None:
    """A request whose snapshot predates a change (SQLite fixes it at the first read) asks after
    another request has read the new tokens: its answer is its own, kept under the tokens it saw,
    and the next request computes the new state instead of being told the old one."""
    from prm_domain import access
    from prm_domain.models import DpaVersion

    clock = changes.ChangeClock(check_seconds=60)
    sessions = make_sessionmaker(db, clock)
    partner_id, _old = _dpa_partner(db, "Snapshot", signed=True)
    early = sessions()  # began before the new version: its snapshot is the old state
    try:
        p = early.get(Partner, partner_id)
        assert p is not None
        with sessions() as vendor:
            vendor.add(DpaVersion(version=f"new-{uuid.uuid4().hex[:6]}", text="New terms."))
            vendor.commit()
        with sessions() as other:
            clock.tokens(other, ["dpa_version", "dpa_signature"])  # the process sees the new
        access.dpa_signed(p)  # whatever its snapshot says, it must not outlive it
    finally:
        early.close()
    with sessions() as later:
        fresh = later.get(Partner, partner_id)
        assert fresh is not None and access.dpa_signed(fresh) is False  # the new version: unsigned


def test_a_transactions_unflushed_signature_counts_as_its_own_write(db: Engine) -> None:
    """What a session holds unflushed, a query would flush first: a kept answer must not hide
    it (a signature added and asked about before any flush)."""
    from prm_domain import access
    from prm_domain.models import DpaSignature

    sessions = make_sessionmaker(db, changes.ChangeClock(check_seconds=60))
    partner_id, version_id = _dpa_partner(db, "Unflushed")
    with sessions() as s:
        p = s.get(Partner, partner_id)
        assert p is not None and access.dpa_signed(p) is False  # kept by the process
    with sessions() as s:
        p = s.get(Partner, partner_id)
        assert p is not None
        s.add(DpaSignature(partner_id=partner_id, version_id=version_id))  # not flushed
        assert access.dpa_signed(p) is True
        s.rollback()
    with sessions() as s:
        p = s.get(Partner, partner_id)
        assert p is not None and access.dpa_signed(p) is False  # rolled back: unsigned again


def test_a_statement_built_once_is_kept_per_value_of_its_placeholders(db: Engine) -> None:
    """changes.kept(..., params): a statement built once with a placeholder (the DPA answer, a
    kit's logo) keeps one answer per value given, and refuses to run without one: a missing
    value would key every caller's answer alike."""
    from sqlalchemy import bindparam

    sessions = make_sessionmaker(db, changes.ChangeClock(check_seconds=60))
    with sessions() as s:
        first, second = (_partner(s, f"{n} {uuid.uuid4().hex[:6]}") for n in ("One", "Two"))
        s.commit()
        ids = (first.id, second.id)
    stmt = select(Partner.name).where(Partner.id == bindparam("pid"))
    runs: list[int] = []

    def name(s: Session, pid: int) -> str | None:
        def compute() -> str | None:
            runs.append(pid)
            return s.scalar(stmt, {"pid": pid})

        return changes.kept(s, "name", stmt, compute, {"pid": pid})

    with sessions() as s:
        assert name(s, ids[0]) == first.name and name(s, ids[1]) == second.name
        assert name(s, ids[0]) == first.name and runs == list(ids)
        with pytest.raises(ValueError, match="placeholder"):
            changes.kept(s, "name", stmt, lambda: None)


def test_an_answer_for_a_fixed_moment_is_kept_and_one_for_the_present_is_not(db: Engine) -> None:
    """A datetime among a statement's values is taken for "now" (the answer would move with
    the clock alone) and computed afresh; ``fixed_moments`` says the given ones are fixed
    points (the end of a visit), so the answer changes only with its tables and is kept."""
    import datetime as dt

    from sqlalchemy import bindparam, func

    sessions = make_sessionmaker(db, changes.ChangeClock(check_seconds=60))
    stmt = select(func.count()).select_from(Partner).where(Partner.created_at > bindparam("after"))
    after = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    runs: list[str] = []

    def count(s: Session, how: str, **kw: bool) -> int:
        def compute() -> int:
            runs.append(how)
            return int(s.scalar(stmt, {"after": after}) or 0)

        return changes.kept(s, f"since {how}", stmt, compute, {"after": after}, **kw)

    with sessions() as s:
        before = count(s, "fixed", fixed_moments=True)
        assert count(s, "fixed", fixed_moments=True) == before
        count(s, "now")
        count(s, "now")
    assert runs == ["fixed", "now", "now"]
    with sessions() as s:
        _partner(s, f"New {uuid.uuid4().hex[:6]}")
        s.commit()
    with sessions() as s:
        assert count(s, "fixed", fixed_moments=True) == before + 1  # the table changed
    assert runs == ["fixed", "now", "now", "fixed"]


def test_a_full_memory_lets_go_of_the_answers_asked_longest_ago(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Kept answers are bounded; when full, the least recently asked go first, so an answer
    many share (asked all the time) outlives a stream of one-off answers (each person's
    dashboard count, one search's total)."""
    monkeypatch.setattr(changes, "MAX_REMEMBERED", 50)
    clock = changes.ChangeClock(check_seconds=60)
    tokens = ("t",)
    computed: list[str] = []

    def ask(key: str) -> str:
        def compute() -> str:
            computed.append(key)
            return key

        return clock.remember(key, tokens, compute, lambda: tokens)

    for n in range(500):
        ask("shared")
        ask(f"person {n}")
    assert computed.count("shared") == 1
    assert ask("person 499") == "person 499" and computed.count("person 499") == 1
    ask("person 0")
    assert computed.count("person 0") == 2  # let go long ago, computed again
    assert len(clock._memo) <= 50
    # an answer computed again under new tokens is as recent as a new one
    oldest = next(iter(clock._memo))
    clock.remember(oldest, ("u",), lambda: oldest, lambda: ("u",))
    assert list(clock._memo)[-1] == oldest
