"""Bounds on what one xAPI statement may cost the importer (interop layer).

Hostile or broken input must be refused with a clear problem, not crash the import or exhaust
memory (docs/privacy.md, "Hostile input"). Three bounds apply to every statement, before it is
validated or hashed:

``MAX_STATEMENT_BYTES``
    One statement (one NDJSON line) of more than 1 MiB is refused. A line is read in pieces
    of at most that size, so a 100 MB line costs 1 MiB of memory, not 100 MB.
``MAX_DEPTH``
    Objects and arrays nested more than 64 levels deep are refused (real statements nest about
    ten levels; the JSON encoder used for body hashes stops at 254).
``MAX_GROUP_MEMBERS``
    A Group listing more than 1,000 members is refused (each member may become a person).

The walk that checks them is iterative, so no input can exhaust Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Final

import orjson

from learningorg.interop.xapi.validator import Problem

MAX_STATEMENT_BYTES: Final = 1024 * 1024
MAX_DEPTH: Final = 64
MAX_GROUP_MEMBERS: Final = 1000

#: What a line too long to read stands in for: it never parses as JSON.
_PLACEHOLDER: Final = b"\x00"


class OversizeLine(bytes):
    """Stands in for a line longer than the limit, which was skipped unread."""

    size: int

    def __new__(cls, size: int) -> OversizeLine:
        line = super().__new__(cls, _PLACEHOLDER)
        line.size = size
        return line


def oversize_message(size: int, limit: int = MAX_STATEMENT_BYTES) -> str:
    """The problem text for a line of ``size`` bytes or more."""
    return (
        f"the statement on this line is {size:,} bytes or more, over the limit of {limit:,} "
        "bytes for one statement; split it (a JSON array on one line: write one statement a "
        "line) or leave out what makes it so large"
    )


def bounded_lines(handle: IO[bytes] | IO[str], limit: int = MAX_STATEMENT_BYTES) -> Iterator[Any]:
    """The lines of ``handle``; a line longer than ``limit`` comes as an ``OversizeLine``.

    No more than ``limit`` bytes of one line are held at a time.
    """
    while True:
        line: Any = handle.readline(limit + 1)
        if not line:
            return
        newline = b"\n" if isinstance(line, bytes) else "\n"
        if len(line) <= limit or line.endswith(newline):
            yield line
            continue
        size = len(line)
        while True:
            rest: Any = handle.readline(limit)
            size += len(rest)
            if not rest or rest.endswith(newline):
                break
        yield OversizeLine(size)


def checked_lines(lines: Iterable[Any], limit: int = MAX_STATEMENT_BYTES) -> Iterator[Any]:
    """Lines already in memory (an iterable given by the caller), the too long ones replaced."""
    for line in lines:
        yield OversizeLine(len(line)) if len(line) > limit + 1 else line


def _too_large() -> list[Problem]:
    text = (
        f"the statement is larger than {MAX_STATEMENT_BYTES:,} bytes, the limit for one "
        "statement; leave out what makes it so large"
    )
    return [Problem("", "limits.too-large", text)]


def _locate(statement: Any, wanted: Callable[[Any, int], bool]) -> str:
    """The JSON pointer of the first container for which ``wanted(value, depth)`` holds."""
    stack: list[tuple[Any, int, str]] = [(statement, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if wanted(value, depth):
            return path
        if isinstance(value, dict):
            stack.extend((v, depth + 1, f"{path}/{k}") for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{path}/{i}") for i, v in enumerate(value))
    return ""


def _too_deep(value: Any, depth: int) -> bool:
    return depth > MAX_DEPTH


def _too_many_members(value: Any, depth: int) -> bool:
    members = value.get("member") if isinstance(value, dict) else None
    return isinstance(members, list) and len(members) > MAX_GROUP_MEMBERS


def statement_problems(statement: Any) -> list[Problem]:
    """Problems with the bounds of one parsed statement (empty when it is within them).

    This runs for every imported statement, so the common case is decided at C speed: the
    statement's JSON is encoded once, and one with no more brackets than ``MAX_DEPTH`` and no
    Group member list cannot break a bound other than its size. Only the others are walked.
    """
    if type(statement) is not dict and type(statement) is not list:
        return []
    try:
        encoded = orjson.dumps(statement)
    except TypeError:
        encoded = None  # nested past the encoder's limit, or a value it does not know: walk
    if encoded is not None:
        if len(encoded) > MAX_STATEMENT_BYTES:
            return _too_large()
        brackets = encoded.count(b"{") + encoded.count(b"[")
        if brackets <= MAX_DEPTH and b'"member"' not in encoded:
            return []
    return _walk(statement)


def _walk(statement: Any) -> list[Problem]:
    """The bounds checked container by container (paths worked out only on failure)."""
    size = 0
    stack: list[tuple[Any, int]] = [(statement, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        value, depth = pop()
        if depth > MAX_DEPTH:
            path = _locate(statement, _too_deep)
            text = (
                f"the statement nests objects and arrays more than {MAX_DEPTH} levels deep "
                f"(at {path or '/'}); flatten what it carries"
            )
            return [Problem(path, "limits.too-deep", text)]
        # Every item takes a byte or more of JSON: count them before looking at any.
        size += 2 + len(value)
        if size > MAX_STATEMENT_BYTES:
            return _too_large()
        if type(value) is dict:
            members = value.get("member")
            if type(members) is list and len(members) > MAX_GROUP_MEMBERS:
                path = _locate(statement, _too_many_members)
                text = (
                    f"the Group at {path or '/'} lists {len(members):,} members, over the limit "
                    f"of {MAX_GROUP_MEMBERS:,}; send one statement per team or person instead"
                )
                return [Problem(f"{path}/member", "limits.group-too-large", text)]
            size += sum(len(key) if type(key) is str else 8 for key in value)
            items: Iterable[Any] = value.values()
        else:
            items = value
        for item in items:
            kind = type(item)
            if kind is str:
                size += len(item)
            elif kind is dict or kind is list:
                push((item, depth + 1))
        if size > MAX_STATEMENT_BYTES:
            return _too_large()
    return []


__all__ = [
    "MAX_DEPTH",
    "MAX_GROUP_MEMBERS",
    "MAX_STATEMENT_BYTES",
    "OversizeLine",
    "bounded_lines",
    "checked_lines",
    "oversize_message",
    "statement_problems",
]
