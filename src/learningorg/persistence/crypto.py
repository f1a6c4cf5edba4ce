"""Sealing the personal fields of stored events with the person's data key (persistence layer).

The mapper calls ``seal`` on the way out and ``unseal`` on the way in, so the domain never sees
ciphertext. ``seal`` takes the personal fields of an event in a person's stream (``SEALED_FIELDS``:
the domain's ``PERSONAL_FIELDS`` plus the xAPI statement an activity may keep whole) out of
the stored JSON and puts them, encrypted with AES-256-GCM under the person's own data key and
with the event id as associated data, under one key ``"_sealed"``::

    {"event_id": "...", "kind": "case", ..., "_sealed": {"v": 1, "fields": ["note"],
     "nonce": "<base64>", "data": "<base64>"}}

Every other field stays in clear, so projections that read stored JSON directly (the capacity
view's fast path) work unchanged. Fields that are None or empty are not sealed.

Once the person's key is destroyed, ``unseal`` restores each sealed field as ``ERASED``
(``"[erased]"``), or None for a field that holds a document (the xAPI statement an activity
kept): replaying an erased person's stream never raises.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from typing import Any, Final
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from learningorg.domain import events as ev

#: What a personal field reads as once the person's key is destroyed.
ERASED: Final = "[erased]"

#: The key of the sealed fields in the stored JSON.
SEALED: Final = "_sealed"

_VERSION: Final = 1
_NONCE_BYTES: Final = 12

_EXTRA_FIELDS: dict[type[ev.LearningEvent], tuple[str, ...]] = {
    ev.LearningActivityCompleted: ("statement",),
}

#: Per stored topic, the fields sealed with the person's key: ``PERSONAL_FIELDS`` (names,
#: emails, identifiers, registration numbers, notes and other free text) plus the xAPI
#: statement an activity may keep whole (it names the actor). All are person-stream events.
SEALED_FIELDS: dict[str, tuple[str, ...]] = {
    cls.TOPIC: tuple(dict.fromkeys(ev.PERSONAL_FIELDS.get(cls, ()) + _EXTRA_FIELDS.get(cls, ())))
    for cls in (*ev.PERSONAL_FIELDS, *_EXTRA_FIELDS)
}

#: Fields that read as None (not ``ERASED``) once erased: they do not hold text.
_ERASED_AS_NONE: frozenset[tuple[str, str]] = frozenset(
    {(ev.LearningActivityCompleted.TOPIC, "statement")}
)


class SealError(ValueError):
    """Sealed fields could not be opened with the key given (damaged data or a wrong key)."""


def erased_value(topic: str, field: str) -> str | None:
    """What ``field`` of an event of ``topic`` reads as once the person was erased."""
    return None if (topic, field) in _ERASED_AS_NONE else ERASED


def _associated(event_id: Any) -> bytes:
    # The event id's 16 bytes (faster than UUID(...).bytes: this runs once per sealed event).
    return bytes.fromhex(str(event_id).replace("-", ""))


_CIPHERS: dict[bytes, AESGCM] = {}


def _cipher(key: bytes) -> AESGCM:
    """An AES-GCM object per key, kept: building one costs as much as a decryption."""
    cipher = _CIPHERS.get(key)
    if cipher is None:
        if len(_CIPHERS) >= 4096:
            _CIPHERS.clear()
        cipher = _CIPHERS[key] = AESGCM(key)
    return cipher


def forget_key(key: bytes | None) -> None:
    """Drop the cached cipher of a destroyed key, so no copy of it stays in this process."""
    if key is not None:
        _CIPHERS.pop(key, None)


def seal(
    state: dict[str, Any], topic: str, person_id: UUID, key_for: Callable[[UUID], bytes]
) -> None:
    """Move the personal fields of ``state`` into its ``_sealed`` entry, encrypted.

    ``key_for`` gives the person's data key (created on first use); it is asked only when the
    event has personal fields that are set.
    """
    names = SEALED_FIELDS.get(topic)
    if not names:
        return
    secret = {name: state.pop(name) for name in names if state.get(name) not in (None, "")}
    if not secret:
        return
    nonce = os.urandom(_NONCE_BYTES)
    data = _cipher(key_for(person_id)).encrypt(
        nonce, orjson.dumps(secret), _associated(state["event_id"])
    )
    state[SEALED] = {
        "v": _VERSION,
        "fields": list(secret),
        "nonce": base64.b64encode(nonce).decode(),
        "data": base64.b64encode(data).decode(),
    }


def unseal(state: dict[str, Any], topic: str, key: bytes | None) -> bool:
    """Put the sealed fields of ``state`` back in clear; True when they were readable.

    With ``key`` None (the person was erased) each sealed field gets its erased value.
    Raises ``SealError`` when the key does not open them.
    """
    sealed = state.pop(SEALED, None)
    if sealed is None:
        return True
    if key is None:
        for name in sealed["fields"]:
            state[name] = erased_value(topic, name)
        return False
    try:
        plain = _cipher(key).decrypt(
            binascii.a2b_base64(sealed["nonce"]),
            binascii.a2b_base64(sealed["data"]),
            _associated(state["event_id"]),
        )
    except (InvalidTag, ValueError, KeyError, binascii.Error) as error:
        msg = (
            f"the personal fields of event {state.get('event_id')} do not open with the "
            f"person's key ({type(error).__name__}): the data is damaged or the key store is "
            "not the one this store was written with"
        )
        raise SealError(msg) from error
    state.update(orjson.loads(plain))
    return True


__all__ = [
    "ERASED",
    "SEALED",
    "SEALED_FIELDS",
    "SealError",
    "erased_value",
    "forget_key",
    "seal",
    "unseal",
]
