from __future__ import annotations

import pytest

from asset_engine import BrandKit

from .engine_helpers import make_brand


@pytest.fixture
def brand() -> BrandKit:
    return make_brand()
