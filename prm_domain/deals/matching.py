"""Score a company name against known names: pure, shared by the database check and the bench.

A candidate is first *shortlisted* by exact keys (``names.shortlist_keys``: distinctive words,
first-word prefix, acronym, whole name, email domain), then scored with rapidfuzz over its
normalised name and aliases. Acronyms derived from a name count from three letters ("IBM");
two-letter ones ("GE") are too ambiguous to guess and count only as declared aliases.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from prm_domain.deals import names

# Tuned on bench/data/deal_name_pairs.csv (docs/benchmarks.md): below it, "General Motors"
# meets "General Mills"; above it, typos like "Microsfot" are missed.
THRESHOLD = 88.0
ACRONYM_SCORE = 92.0
DOMAIN_SCORE = 100.0
WORD_FLOOR = 80.0
# A word or prefix shared by more names than this ("logistics", "river") identifies none of
# them: it is not used to shortlist (the name's other keys still are). Learnt from the data,
# like a search engine's stop words, so no list has to guess them.
MAX_POSTING = 500
ALWAYS = ("n:", "d:", "a:")  # whole names, domains and acronyms are always looked up
CONTAINED_SCORE = 90.0


def _similarity(
    a: Sequence[Hashable], b: Sequence[Hashable], /, *, score_cutoff: float | None = None
) -> float:
    """Best of plain ratio, word-order-free ratio and ratio without spaces ("Air Lines")."""
    assert isinstance(a, str) and isinstance(b, str)  # rapidfuzz types choices loosely
    cutoff = score_cutoff or 0.0
    best = max(
        fuzz.ratio(a, b),
        fuzz.token_sort_ratio(a, b),
        fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")),
    )
    if best < cutoff:
        return 0.0
    if best < 100:
        # Same number of words: each word must be close to its counterpart, so a one-letter
        # typo passes but "Deutsche Bank" never becomes "Deutsche Bahn".
        wa, wb = a.split(), b.split()
        if len(wa) == len(wb) >= 2:
            in_order = min(fuzz.ratio(x, y) for x, y in zip(wa, wb, strict=True))
            ws = zip(sorted(wa), sorted(wb), strict=True)
            any_order = min(fuzz.ratio(x, y) for x, y in ws)
            if max(in_order, any_order) < WORD_FLOOR:
                return 0.0
    return best


@dataclass(frozen=True)
class Candidate:
    """A known company: an account, an opportunity's account, or a registration."""

    ref: int
    name: str
    aliases: tuple[str, ...] = ()
    domain: str = ""
    # Precomputed once: normalised name and aliases, acronym, domain, lookup keys.
    variants: tuple[str, ...] = field(init=False)
    own: frozenset[str] = field(init=False)  # the variants of the name itself, not aliases
    initials: str = field(init=False)

    def __post_init__(self) -> None:
        variants = [names.normalise(n) for n in (self.name, *self.aliases)]
        variants += [names.core(n) for n in (self.name, *self.aliases)]
        variants += [names.compact(n) for n in (self.name, *self.aliases)]
        object.__setattr__(self, "variants", tuple(v for v in dict.fromkeys(variants) if v))
        own = {names.normalise(self.name), names.core(self.name), names.compact(self.name)}
        object.__setattr__(self, "own", frozenset(own - {""}))
        initials = names.acronym(self.name)
        object.__setattr__(self, "initials", initials if len(initials) >= 3 else "")
        object.__setattr__(self, "domain", names.company_domain(self.domain))

    @functools.cached_property
    def keys(self) -> frozenset[str]:
        """Its lookup keys: needed to index it, not to score it (so computed when asked)."""
        keys: set[str] = set()
        for n in (self.name, *self.aliases):
            keys |= names.shortlist_keys(n)
        if self.initials:
            keys.add("t:" + self.initials)  # someone typing "IBM" finds it by word
        if self.domain:
            keys.add("d:" + self.domain)
        return frozenset(keys)


def _may_end(query: str) -> bool:
    """Whether ``query`` may match as the end of a longer name ("Louis Vuitton" in "LVMH Moet
    Hennessy Louis Vuitton"): two or more words, one of them distinctive. A shared *first*
    part ("Palo Alto ...") is not enough."""
    words = query.split()
    return len(words) >= 2 and not all(w in names.GENERIC for w in words)


@dataclass(frozen=True)
class Hit:
    ref: int
    score: float
    how: str  # "name", "alias", "acronym", "domain"
    matched: str  # the normalised variant that matched


def query_keys(company: str, email: str | None = None) -> set[str]:
    keys = names.shortlist_keys(company)
    domain = names.email_domain(email)
    if domain:
        keys.add("d:" + domain)
    return keys


def score(company: str, candidates: Iterable[Candidate], email: str | None = None) -> list[Hit]:
    """The candidates that match ``company`` (or the contact's email domain), best first."""
    query = names.normalise(company)
    queries = [q for q in dict.fromkeys((query, names.core(company), names.compact(company))) if q]
    q_initials = query.replace(" ", "") if " " not in query else names.acronym(company)
    domain = names.email_domain(email)
    pool = list(candidates)
    best: dict[int, Hit] = {}

    def keep(hit: Hit) -> None:
        if hit.ref not in best or hit.score > best[hit.ref].score:
            best[hit.ref] = hit

    if query:
        # rapidfuzz's own scorers (C speed) pick the survivors over the whole shortlist; only
        # those get the word-by-word check of ``_similarity``.
        owner: list[int] = []
        choices: list[str] = []
        for n, cand in enumerate(pool):
            owner.extend([n] * len(cand.variants))
            choices.extend(cand.variants)
        compact = [c.replace(" ", "") for c in choices]
        for q in queries:
            survivors: set[int] = set()
            for scorer, q_form, forms in (
                (fuzz.ratio, q, choices),
                (fuzz.token_sort_ratio, q, choices),
                (fuzz.ratio, q.replace(" ", ""), compact),
            ):
                found = process.extract(
                    q_form, forms, scorer=scorer, score_cutoff=THRESHOLD, limit=None
                )
                survivors.update(i for _, _, i in found)
            for i in survivors:
                value = _similarity(q, choices[i])
                if value >= THRESHOLD:
                    cand = pool[owner[i]]
                    how = "name" if choices[i] in cand.own else "alias"
                    keep(Hit(cand.ref, round(float(value), 1), how, choices[i]))
            if _may_end(q):
                for cand in pool:
                    if any(v.endswith(" " + q) for v in cand.variants):
                        keep(Hit(cand.ref, CONTAINED_SCORE, "name", cand.variants[0]))
        for cand in pool:
            if not cand.variants:
                continue
            if len(q_initials) >= 3 and cand.initials == q_initials:
                keep(Hit(cand.ref, ACRONYM_SCORE, "acronym", cand.variants[0]))
            elif len(q_initials) >= 3 and " " in query and q_initials in cand.variants[1:]:
                # "General Electric" typed, "GE" a declared alias of the account
                keep(Hit(cand.ref, ACRONYM_SCORE, "acronym", q_initials))
    if domain:
        for cand in pool:
            if cand.domain and (domain == cand.domain or domain.endswith("." + cand.domain)):
                keep(Hit(cand.ref, DOMAIN_SCORE, "domain", cand.domain))
    return sorted(best.values(), key=lambda h: (-h.score, h.ref))


def matches(company: str, name: str, aliases: Sequence[str] = (), domain: str = "") -> bool:
    """Whether one pair conflicts (the labelled-pair tests and the bench use it)."""
    return bool(score(company, [Candidate(0, name, tuple(aliases), domain)]))


class NameIndex:
    """Candidates held in memory with an inverted index from key to candidates."""

    def __init__(self, candidates: Iterable[Candidate] = ()) -> None:
        self._by_ref: dict[int, Candidate] = {}
        self._postings: dict[str, list[int]] = defaultdict(list)
        for cand in candidates:
            self.add(cand)

    def __len__(self) -> int:
        return len(self._by_ref)

    def add(self, cand: Candidate) -> None:
        self._by_ref[cand.ref] = cand
        for key in cand.keys:
            self._postings[key].append(cand.ref)

    def shortlist(self, company: str, email: str | None = None) -> list[Candidate]:
        refs: set[int] = set()
        for key in query_keys(company, email):
            posting = self._postings.get(key, ())
            if len(posting) <= MAX_POSTING or key.startswith(ALWAYS):
                refs.update(posting)
        return [self._by_ref[r] for r in refs]

    def search(self, company: str, email: str | None = None) -> list[Hit]:
        return score(company, self.shortlist(company, email), email)
