"""String-format predicates for the xAPI validator: IRIs, RFC 5646 tags, UUIDs, times.

Every predicate takes a ``str`` and returns a ``bool``; none of them raises. The regular
expressions are compiled once at import time and their bound ``fullmatch`` methods are kept
as module globals, so a check costs one C-level match and no allocation on the happy path.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "KNOWN_IRIS",
    "KNOWN_LANGUAGE_TAGS",
    "describe",
    "is_duration",
    "is_hex_sha1",
    "is_hex_sha2",
    "is_iri",
    "is_language_tag",
    "is_mailto",
    "is_media_type",
    "is_timestamp_1_0",
    "is_timestamp_2_0",
    "is_uuid",
    "pointer_token",
]

# --- IRIs ----------------------------------------------------------------------------------
# RFC 3987 best effort: a scheme (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), a colon and a
# non-empty rest without whitespace, control characters or the characters RFC 3987 excludes
# (<>"{}|\^`); a "%" must start a two-digit percent-encoding. A relative reference such as
# "/a/b" or "should fail" has no scheme and is rejected, as is "ab=c://x" ("=" is no scheme
# character).
_IRI_RE: Final = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:"
    r"(?:[^\s<>\"{}|\\^`%\x00-\x1f\x7f]+|%[0-9A-Fa-f]{2})+"
)
_iri_match: Final = _IRI_RE.fullmatch

# Verb ids, Activity types, extension keys and language tags repeat from Statement to
# Statement, so the values already found valid are remembered, up to a fixed number of
# entries of bounded length (memory stays bounded whatever the input).
_CACHE_ENTRIES: Final = 4096
_CACHE_MAX_LENGTH: Final = 256
#: IRIs already found valid; read by the validator to skip the regular expression
KNOWN_IRIS: Final[set[str]] = set()
#: language tags already found valid
KNOWN_LANGUAGE_TAGS: Final[set[str]] = set()


def is_iri(value: str) -> bool:
    """Return True when ``value`` is an absolute IRI (scheme required, no spaces)."""
    if value in KNOWN_IRIS:
        return True
    if _iri_match(value) is None:
        return False
    if len(KNOWN_IRIS) < _CACHE_ENTRIES and len(value) <= _CACHE_MAX_LENGTH:
        KNOWN_IRIS.add(value)
    return True


# --- mailto IRIs -----------------------------------------------------------------------------
_MAIL_CHARS: Final = r"[^\s@<>\"(),;:\[\]\\/?#]"
_MAILTO_RE: Final = re.compile(
    rf"mailto:{_MAIL_CHARS}+@(?:[^\s@<>\"(),;:\[\]\\/?#.]+\.)*[^\s@<>\"(),;:\[\]\\/?#.]+"
)
_mailto_match: Final = _MAILTO_RE.fullmatch


def is_mailto(value: str) -> bool:
    """Return True when ``value`` is ``mailto:`` followed by one e-mail address."""
    return _mailto_match(value) is not None


# --- RFC 5646 language tags ------------------------------------------------------------------
# The ABNF of RFC 5646 section 2.1, case-insensitive, including the grandfathered tags.
_LANGTAG: Final = (
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"  # language ["-" extlang]
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"  # variant
    r"(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*"  # extension (singleton is any alnum but x)
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"  # privateuse
)
_PRIVATEUSE: Final = r"x(?:-[a-z0-9]{1,8})+"
_GRANDFATHERED: Final = (
    r"en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo"
    r"|i-pwn|i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de"
    r"|art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang"
)
_LANGUAGE_TAG_RE: Final = re.compile(
    rf"(?:{_LANGTAG}|{_PRIVATEUSE}|{_GRANDFATHERED})", re.IGNORECASE | re.ASCII
)
_language_tag_match: Final = _LANGUAGE_TAG_RE.fullmatch


def is_language_tag(value: str) -> bool:
    """Return True when ``value`` is a well-formed RFC 5646 language tag (e.g. ``en-US``)."""
    if value in KNOWN_LANGUAGE_TAGS:
        return True
    if _language_tag_match(value) is None:
        return False
    if len(KNOWN_LANGUAGE_TAGS) < _CACHE_ENTRIES and len(value) <= _CACHE_MAX_LENGTH:
        KNOWN_LANGUAGE_TAGS.add(value)
    return True


# --- UUIDs and hashes ------------------------------------------------------------------------
_UUID_RE: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_uuid_match: Final = _UUID_RE.fullmatch
_HEX_RE: Final = re.compile(r"[0-9a-fA-F]+")
_hex_match: Final = _HEX_RE.fullmatch
_SHA2_HEX_LENGTHS: Final = frozenset((56, 64, 96, 128))  # SHA-224, -256, -384, -512


def is_uuid(value: str) -> bool:
    """Return True when ``value`` is a UUID in the standard 8-4-4-4-12 hex string form."""
    return _uuid_match(value) is not None


def is_hex_sha1(value: str) -> bool:
    """Return True when ``value`` is a hex-encoded SHA-1 digest (40 hex digits)."""
    return len(value) == 40 and _hex_match(value) is not None


def is_hex_sha2(value: str) -> bool:
    """Return True when ``value`` is a hex-encoded SHA-224/256/384/512 digest."""
    return len(value) in _SHA2_HEX_LENGTHS and _hex_match(value) is not None


# --- Internet media types (RFC 2045 / RFC 6838) ------------------------------------------------
_TOKEN: Final = r"[!#$%&'*+.^_`|~0-9A-Za-z\-]+"
_QUOTED: Final = r'"(?:[^"\\\r\n]|\\.)*"'
_MEDIA_TYPE_RE: Final = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))*[ \t]*"
)
_media_type_match: Final = _MEDIA_TYPE_RE.fullmatch


def is_media_type(value: str) -> bool:
    """Return True when ``value`` looks like ``type/subtype`` with optional parameters."""
    return _media_type_match(value) is not None


# --- ISO 8601 durations ------------------------------------------------------------------------
# ISO 8601:2004 4.4.3.2 format with designators: PnW alone, or PnYnMnDTnHnMnS with at least one
# component and a "T" only when a time component follows. A decimal fraction is allowed on
# the last component only (checked after the match).
_NUM: Final = r"\d+(?:[.,]\d+)?"
_DURATION_RE: Final = re.compile(
    rf"P(?:{_NUM}W|(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)"
)
_duration_match: Final = _DURATION_RE.fullmatch
_FRACTION_AT_END_RE: Final = re.compile(r"[.,]\d+[WYMDHS]")
_fraction_at_end_match: Final = _FRACTION_AT_END_RE.fullmatch


def is_duration(value: str) -> bool:
    """Return True when ``value`` is an ISO 8601 duration such as ``PT1H30M`` or ``P4W``."""
    if _duration_match(value) is None:
        return False
    dot = value.find(".")
    comma = value.find(",")
    if dot < 0 and comma < 0:
        return True
    if dot >= 0 and comma >= 0:
        return False
    at = dot if dot >= 0 else comma
    # exactly one fraction, and it belongs to the last component
    return _fraction_at_end_match(value, at) is not None


# --- Timestamps --------------------------------------------------------------------------------
# Field ranges are enforced by the patterns themselves (month 01-12, day 01-31, hour 00-23,
# minute 00-59, second 00-60 for a leap second, zone hour 00-23); only the day-of-month
# against the month and the negative zero offset are checked afterwards.
_MM: Final = r"(0[1-9]|1[0-2])"
_DD: Final = r"(0[1-9]|[12]\d|3[01])"
_HH: Final = r"([01]\d|2[0-3])"
_MIN: Final = r"[0-5]\d"
_SEC: Final = r"(?:[0-5]\d|60)"
# xAPI 1.0.3: ISO 8601 combined date and time, extended or basic format, with a time zone.
_TS_1_0_EXTENDED_RE: Final = re.compile(
    rf"(\d{{4}})-{_MM}-{_DD}T{_HH}(?::{_MIN}(?::{_SEC}(?:[.,]\d+)?)?)?"
    rf"(Z|([+-]){_HH}(?::?({_MIN}))?)"
)
_TS_1_0_BASIC_RE: Final = re.compile(
    rf"(\d{{4}}){_MM}{_DD}T{_HH}(?:{_MIN}(?:{_SEC}(?:[.,]\d+)?)?)?"
    rf"(Z|([+-]){_HH}({_MIN})?)"
)
# xAPI 2.0: RFC 3339 date-time ("T", "t" or a space between date and time).
_TS_2_0_RE: Final = re.compile(
    rf"(\d{{4}})-{_MM}-{_DD}[Tt ]{_HH}:{_MIN}:{_SEC}(?:\.\d+)?([Zz]|([+-]){_HH}:({_MIN}))"
)
_ts_1_0_extended_match: Final = _TS_1_0_EXTENDED_RE.fullmatch
_ts_1_0_basic_match: Final = _TS_1_0_BASIC_RE.fullmatch
_ts_2_0_match: Final = _TS_2_0_RE.fullmatch
_DAYS_IN_MONTH: Final = {"02": 29, "04": 30, "06": 30, "09": 30, "11": 30}


def _date_and_zone_ok(match: re.Match[str]) -> bool:
    """Check day-of-month against month and year, and reject the "-00:00" style offsets."""
    year, month, day, _hour, _zone, sign, zone_hour, zone_minute = match.groups()
    if day > "28":
        if int(day) > _DAYS_IN_MONTH.get(month, 31):
            return False
        if month == "02":  # the 29th of February needs a leap year
            y = int(year)
            if y % 4 or (y % 100 == 0 and y % 400):
                return False
    # "-00", "-0000" and "-00:00" (unknown local offset) are not a valid zone in xAPI
    return not (sign == "-" and zone_hour == "00" and zone_minute in (None, "00"))


def is_timestamp_1_0(value: str) -> bool:
    """Return True for an xAPI 1.0.3 timestamp: ISO 8601 date and time with a time zone."""
    match = _ts_1_0_extended_match(value) or _ts_1_0_basic_match(value)
    return match is not None and _date_and_zone_ok(match)


def is_timestamp_2_0(value: str) -> bool:
    """Return True for an xAPI 2.0 timestamp: an RFC 3339 date-time (offset required)."""
    match = _ts_2_0_match(value)
    return match is not None and _date_and_zone_ok(match)


# --- Messages and paths ------------------------------------------------------------------------
_MAX_SHOWN: Final = 60


def describe(value: object) -> str:
    """Describe a JSON-like value for a message, briefly and without ever raising.

    Strings are quoted and truncated; containers are summarised by size rather than
    printed, so a huge or deeply nested value costs nothing to describe.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        if len(value) > _MAX_SHOWN:
            return f"{value[:_MAX_SHOWN]!r}... ({len(value)} characters)"
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 64:
            return f"a {value.bit_length()}-bit integer"
        return str(int(value))
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(float(value))
    if isinstance(value, dict):
        n = len(value)
        keys = [k for k in list(value)[:4] if isinstance(k, str)]
        if not keys:
            return "an empty object" if n == 0 else f"an object with {n} properties"
        shown = ", ".join(repr(k[:30]) for k in keys)
        more = ", ..." if n > len(keys) else ""
        return f"an object with properties {shown}{more}"
    if isinstance(value, list):
        return f"an array of {len(value)} items" if value else "an empty array"
    return f"a {type(value).__name__} value"


def pointer_token(key: object) -> str:
    """Return ``key`` escaped as one JSON Pointer reference token (RFC 6901)."""
    text = key if isinstance(key, str) else describe(key)
    if len(text) > 200:
        text = text[:200] + "..."
    return text.replace("~", "~0").replace("/", "~1")
