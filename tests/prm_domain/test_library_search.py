"""The library's free-text search (prm_domain.assets.list_assets ``q``): the words are a value of
a statement built once, matched literally (% _ and \\ are characters, not wildcards), and each
search keeps its own total."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from prm_domain import assets
from prm_domain.enums import AssetKind, AssetStatus, Role
from prm_domain.models import Asset, User


def test_search_words_are_matched_literally_and_each_search_has_its_own_total(
    session: Session, make_user: Callable[..., User]
) -> None:
    names = ["50% off", "5000 seats", "a_b guide", "axb guide", "back\\slash", "Backup basics"]
    for name in names:
        session.add(Asset(kind=AssetKind.PDF, name=name, status=AssetStatus.DRAFT))
    session.flush()
    vendor = make_user(Role.VENDOR_ADMIN)

    def found(q: str) -> list[str]:
        page = assets.list_assets(session, vendor, q=q, per_page=50)
        assert page.total == len(page.items)
        return sorted(a.name for a in page.items)

    assert found("0%") == ["50% off"]
    assert found("a_b") == ["a_b guide"]
    assert found("k\\s") == ["back\\slash"]
    assert found("BACKUP") == ["Backup basics"]
    assert found("guide") == ["a_b guide", "axb guide"]
    assert found("nothing like it") == []
    assert assets.list_assets(session, vendor, per_page=50).total >= len(names)
