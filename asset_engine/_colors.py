from __future__ import annotations

import re

from ._errors import InvalidZoneError

_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def parse_color(value: str, what: str = "colour") -> tuple[int, int, int]:
    """'#rgb' or '#rrggbb' to an RGB triple; anything else is refused rather than guessed."""
    if not isinstance(value, str) or not _HEX.fullmatch(value.strip()):
        raise InvalidZoneError(
            f"The {what} {value!r} is not a colour: use a hex colour such as '#1a73e8'."
        )
    digits = value.strip()[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
