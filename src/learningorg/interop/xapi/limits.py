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

from collections.abc import Iterable, Iterator
from typing import IO, Any, Final

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


def statement_problems(statement: Any) -> list[Problem]:
    """Problems with the bounds of one parsed statement (empty when it is within them).

    The size is estimated from the parsed values (at least what their JSON would take), so a
    statement given as a Python object is bounded too.
    """
    size = 0
    stack: list[tuple[Any, int, str]] = [(statement, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            text = (
                f"the statement nests objects and arrays more than {MAX_DEPTH} levels deep "
                f"(at {path or '/'}); flatten what it carries"
            )
            return [Problem(path, "limits.too-deep", text)]
        if isinstance(value, dict | list):
            # Every item takes a byte or more of JSON: count them before holding any.
            size += 2 + len(value)
            if size > MAX_STATEMENT_BYTES:
                return _too_large()
        if isinstance(value, dict):
            members = value.get("member")
            if isinstance(members, list) and len(members) > MAX_GROUP_MEMBERS:
                text = (
                    f"the Group at {path or '/'} lists {len(members):,} members, over the limit "
                    f"of {MAX_GROUP_MEMBERS:,}; send one statement per team or person instead"
                )
                return [Problem(f"{path}/member", "limits.group-too-large", text)]
            for key, item in value.items():
                size += len(key) + 3
                stack.append((item, depth + 1, f"{path}/{key}"))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, f"{path}/{i}") for i, item in enumerate(value))
        elif isinstance(value, str):
            size += len(value) + 2
        else:
            size += 1
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
