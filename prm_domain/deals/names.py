"""Company names as the conflict check compares them: pure functions, no database.

"General Electric Company, Inc." and "general electric co" must meet; "General Motors" must not.
So a name is folded (case, accents, punctuation, "&" -> "and"), its legal suffixes dropped, and
the rest kept as tokens. Generic words ("group", "systems") stay in the name but are never used
alone to shortlist candidates: they are shared by thousands of unrelated companies.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Legal forms, in their folded token spelling ("S.A." -> "sa", "GmbH & Co. KG" -> "gmbh and co kg").
LEGAL_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "plc", "corp", "corporation",
        "co", "company", "gmbh", "ag", "kg", "kgaa", "se", "sa", "sas", "sarl", "sl", "spa", "srl",
        "bv", "nv", "oy", "oyj", "ab", "as", "asa", "aps", "pty", "pte", "kk", "sro", "zrt",
        "sp", "zoo", "ug", "mbh", "eg", "cv", "sab", "de", "and", "aktiengesellschaft", "com",
        "a", "s",
    }
)  # fmt: skip
# Words too common to identify a company on their own (they still count in the fuzzy score).
GENERIC = frozenset(
    {
        "the", "and", "of", "group", "holding", "holdings", "international", "global", "systems",
        "system", "solutions", "services", "technologies", "technology", "tech", "software",
        "industries", "partners", "consulting", "enterprises", "labs", "networks", "digital",
        "data", "bank", "capital", "health", "energy", "foods", "motors", "airlines", "new",
        "american", "general", "national", "united", "first", "north", "south", "east", "west",
        "media", "communications", "pharmaceuticals", "financial", "insurance", "trust",
        "deutsche", "british", "royal", "banco", "grupo", "air", "lines", "us", "co",
    }
)  # fmt: skip
# Words that describe rather than name, dropped from the end for the *core* name: "Cisco
# Systems" is "Cisco", "Alibaba Group Holding" is "Alibaba".
DESCRIPTORS = frozenset(
    {
        "group", "holding", "holdings", "international", "global", "systems", "technologies",
        "technology", "communications", "computing", "motor", "bank", "industries", "worldwide",
        "us", "usa", "america", "of",
    }
)  # fmt: skip
# Free-mail and ISP domains: an address there says nothing about the company.
FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com",
        "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com",
        "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "gmx.de",
        "gmx.net", "gmx.com", "web.de", "mail.com", "yandex.ru", "yandex.com", "qq.com",
        "163.com", "126.com", "zoho.com", "fastmail.com", "orange.fr", "free.fr", "t-online.de",
        "libero.it", "btinternet.com", "comcast.net", "verizon.net",
    }
)  # fmt: skip

_NON_WORD = re.compile(r"[^a-z0-9]+")


_INITIALS = re.compile(r"\b([a-z])\.(?=[a-z]\.)")
_ABBREVIATION = re.compile(r"\b([a-z]{1,2})\.")
_UMLAUT_SPELLING = re.compile(r"(?<=[a-z])(ue|oe|ae)")


def fold(text: str) -> str:
    """Lower case, accents off, "&" as "and", punctuation as spaces; dots inside initials
    ("S.A.", "A.P.") closed up first so they stay one token."""
    if not text.isascii():  # most names are: skip the Unicode decomposition then
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
        text = text.replace("ß", "ss").replace("æ", "ae").replace("ø", "o")
        text = text.replace("Æ", "ae").replace("Ø", "o")
    text = text.lower().replace("&", " and ")
    # German spellings without umlauts ("Mueller") meet the folded ones ("Müller" -> "muller").
    text = _UMLAUT_SPELLING.sub(lambda m: m.group(0)[0], text)
    text = _INITIALS.sub(r"\1", text)  # s.a. -> sa.
    text = _ABBREVIATION.sub(r"\1", text)
    text = text.replace("'", "")
    return " ".join(_NON_WORD.split(text)).strip()


def tokens(name: str) -> list[str]:
    """The name's words without trailing legal forms (a suffix inside the name is kept:
    "Co-operative Bank" is not "operative Bank")."""
    return list(_tokens(name))


@functools.lru_cache(maxsize=65536)  # the same names come back in every check: fold them once
def _tokens(name: str) -> tuple[str, ...]:
    words = ["and" if w == "und" else w for w in fold(name).split()]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return tuple(words)


def normalise(name: str) -> str:
    return " ".join(tokens(name))


def core(name: str) -> str:
    """The name without trailing descriptors, when what is left still names something: a
    distinctive word or two words ("United Airlines Holdings" -> "united airlines"); else ""."""
    words = tokens(name)
    while len(words) > 1 and words[-1] in DESCRIPTORS:
        words.pop()
    if len(words) < 2 and all(w in GENERIC or len(w) < 3 for w in words):
        return ""
    return " ".join(words)


def compact(name: str) -> str:
    """Short names written with "&" as one word: "AT&T" -> "att", "H&M" -> "hm"."""
    if "&" not in name:
        return ""
    letters = "".join(w for w in tokens(name) if w != "and")
    return letters if len(letters) <= 5 else ""


def acronym(name: str) -> str:
    """Initials of a name of two or more words ("General Electric" -> "ge"), up to an "of"
    ("United Parcel Service of America" -> "ups"); "" otherwise."""
    words = tokens(name)
    if "of" in words[1:]:
        words = words[: words.index("of", 1)]
    words = [w for w in words if w not in ("and", "the")]
    if len(words) < 2:
        return ""
    return "".join(w[0] for w in words)


def email_domain(address: str | None) -> str:
    """The company domain of an address; "" for none or a free-mail provider."""
    if not address or "@" not in address:
        return ""
    return company_domain(address.rsplit("@", 1)[1])


def company_domain(domain: str | None) -> str:
    domain = (domain or "").strip().lower().rstrip(".")
    domain = domain.removeprefix("https://").removeprefix("http://").split("/")[0]
    domain = domain.removeprefix("www.")
    if not domain or "." not in domain or domain in FREE_MAIL:
        return ""
    return domain


def shortlist_keys(name: str) -> set[str]:
    """Keys under which a name is indexed and looked up: its distinctive words, a prefix of its
    first word (typos past the third letter), its acronym, and the whole normalised name."""
    words = tokens(name)
    if not words:
        return set()
    keys = {"n:" + " ".join(words)}
    short = compact(name)
    if short:
        keys.add("t:" + short)
    keys |= {"t:" + w for w in words if w not in GENERIC and len(w) >= 2}
    keys.add("p:" + words[0][:3])
    # Initials count from three letters (matching.py): "IBM" typed finds the names whose
    # initials are IBM. Two-letter ones would shortlist thousands and match none.
    if len(words) == 1 and len(words[0]) >= 3:
        keys.add("a:" + words[0])
    initials = acronym(name)
    if len(initials) >= 3:
        keys.add("a:" + initials)
    return keys
