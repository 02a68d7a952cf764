"""Channel credentials at rest: Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``)
under a key derived from the app's secret by HKDF, so the database alone reveals no token.

The derived key is bound to one purpose (the HKDF ``info``): the same SECRET_KEY signing
sessions elsewhere yields an unrelated key here.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from prm_domain.errors import DomainError

_INFO = b"cobrand channel credentials v1"


class SecretUnreadable(DomainError):
    """The stored credentials do not open with this key (the key changed): reconnect."""

    code = "secret_unreadable"


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    if not secret_key:
        raise ValueError("A secret key is needed to store channel credentials.")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: str, values: dict[str, Any]) -> bytes:
    """The credentials as an encrypted token (bytes for ``Channel.secret``)."""
    return _fernet(secret_key).encrypt(json.dumps(values, sort_keys=True).encode())


def unseal(secret_key: str, token: bytes | None) -> dict[str, Any]:
    if token is None:
        return {}
    try:
        data = _fernet(secret_key).decrypt(bytes(token))
    except InvalidToken:
        raise SecretUnreadable(
            "The channel's stored credentials cannot be read; connect it again."
        ) from None
    value = json.loads(data)
    if not isinstance(value, dict):
        raise SecretUnreadable("The channel's stored credentials are malformed.")
    return value
