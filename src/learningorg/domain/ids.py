"""Deterministic, keyed aggregate ids (domain layer).

An aggregate's id is derived from (store secret, organisation key, kind, external key) with
HMAC-SHA256, truncated to 128 bits and shaped as an RFC 9562 version-8 UUID. The same input always
gives the same id, so repeated imports are idempotent, yet an id reveals nothing of the external key
(an employee number, an e-mail address) to anyone without the store secret.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal
from uuid import UUID

Kind = Literal["organisation", "team", "person", "identifier", "event"]
KINDS: tuple[Kind, ...] = ("organisation", "team", "person", "identifier", "event")


def derive_id(secret: bytes, organisation: str, kind: Kind, key: str) -> UUID:
    """Return the id of the ``kind`` named ``key`` in ``organisation``.

    The three parts are length-prefixed before hashing, so no two different inputs share a
    message (``("a", "bc")`` and ``("ab", "c")`` differ).

    >>> a = derive_id(b"s" * 32, "jeugdzorg-noord", "person", "E123")
    >>> a == derive_id(b"s" * 32, "jeugdzorg-noord", "person", "E123")
    True
    >>> a == derive_id(b"t" * 32, "jeugdzorg-noord", "person", "E123")
    False
    >>> a.version
    8
    """
    if kind not in KINDS:
        msg = f"unknown id kind {kind!r}; use one of {', '.join(KINDS)}"
        raise ValueError(msg)
    mac = hmac.new(secret, digestmod=hashlib.sha256)
    for part in (organisation, kind, key):
        data = part.encode("utf-8")
        mac.update(len(data).to_bytes(4, "big"))
        mac.update(data)
    raw = bytearray(mac.digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80  # version 8: custom
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 9562 variant
    return UUID(bytes=bytes(raw))
