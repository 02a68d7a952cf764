"""Company-name matching of the deal conflict check: pure, no database."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from prm_domain.deals import matching, names
from prm_domain.deals.registrations import prefill_from_lead

PAIRS = Path(__file__).parents[2] / "bench" / "data" / "deal_name_pairs.csv"


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("General Electric Company, Inc.", "general electric"),
        ("Procter & Gamble Co.", "procter and gamble"),
        ("Nestlé S.A.", "nestle"),
        ("Müller Milch GmbH & Co. KG", "muller milch"),
        ("The Boeing Company", "boing"),  # "oe" folds like "ö": a key, never shown
        ("Salesforce.com, Inc.", "salesforce"),
        ("Schmidt und Söhne AG", "schmidt and sohne"),
    ],
)
def test_normalise(raw: str, normal: str) -> None:
    assert names.normalise(raw) == normal


def test_acronyms_and_email_domains() -> None:
    assert names.acronym("General Electric Company") == "ge"
    assert names.acronym("United Parcel Service of America") == "ups"
    assert names.email_domain("jane@ge.com") == "ge.com"
    assert names.email_domain("jane@gmail.com") == ""  # free mail says nothing
    assert matching.matches("GE", "General Electric Company", ["GE"])
    assert matching.matches("IBM", "International Business Machines")
    assert not matching.matches("GE", "Gary Electronics")  # two letters: aliases only
    hit = matching.score("Anything", [matching.Candidate(1, "Acme", (), "acme.com")], "x@acme.com")
    assert [(h.ref, h.how) for h in hit] == [(1, "domain")]


def test_precision_and_recall_on_a_labelled_sample() -> None:
    """Every 4th pair of the bench's labelled set, so a regression fails here, not only there."""
    with PAIRS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[::4]
    tp = fp = fn = 0
    for row in rows:
        aliases = [a for a in row["aliases"].split(";") if a]
        index = matching.NameIndex([matching.Candidate(1, row["candidate"], tuple(aliases))])
        found = bool(index.search(row["query"]))  # through the shortlist, as in production
        truth = row["label"] == "1"
        tp += found and truth
        fp += found and not truth
        fn += truth and not found
    assert len(rows) >= 90
    assert tp / (tp + fp) >= 0.95
    assert tp / (tp + fn) >= 0.95


def test_hard_negatives_stay_apart() -> None:
    for a, b in [
        ("General Motors", "General Mills"),
        ("Deutsche Bank AG", "Deutsche Bahn AG"),
        ("Palo Alto Networks", "Palo Alto Medical Foundation"),
        ("American Express", "American Airlines"),
    ]:
        assert not matching.matches(a, b), (a, b)


def test_prefill_from_lead() -> None:
    class Lead:
        company = " Nordwind Logistik "
        name = "Ada Berg"
        email = "ada@nordwind.example"
        country = "de"
        message = "Wants 40 seats"

    assert prefill_from_lead(Lead()) == {
        "company": "Nordwind Logistik",
        "contact_name": "Ada Berg",
        "contact_email": "ada@nordwind.example",
        "country": "DE",
        "notes": "Wants 40 seats",
    }
