"""The frames the preparing process of a parallel xAPI import writes to its pipe.

``_send`` writes a message as its kind (one byte), its length (8 bytes, little-endian) and its
payload; the importing process receives the pipe's bytes in blocks of any size (``_receive``)
and ``_messages`` puts the messages together again, ending early when the blocks end inside one
(the preparing process stopped while writing it).
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from learningorg.interop.xapi import importer as imp

Frame = tuple[bytes, bytes]

frames_strategy = st.lists(
    st.tuples(st.sampled_from([b"C", b"E", b"Z"]), st.binary(min_size=0, max_size=3000)),
    min_size=1,
    max_size=8,
)


def _written(frames: list[Frame]) -> bytes:
    """The bytes ``_send`` writes for ``frames``, read back from a real pipe."""
    read_fd, write_fd = os.pipe()
    chunks: list[bytes] = []

    def drain() -> None:
        while block := os.read(read_fd, 65536):
            chunks.append(block)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        for kind, payload in frames:
            imp._send(write_fd, kind, payload)
    finally:
        os.close(write_fd)
        reader.join()
        os.close(read_fd)
    return b"".join(chunks)


def _blocks(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at ``cuts`` (positions within it) into non-empty blocks."""
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


def _queued(blocks: list[bytes]) -> queue.Queue[bytes]:
    received: queue.Queue[bytes] = queue.Queue()
    for block in blocks:
        received.put(block)
    received.put(b"")  # the pipe's end
    return received


def _read(messages: Iterator[tuple[bytes, bytearray]]) -> list[Frame]:
    return [(kind, bytes(payload)) for kind, payload in messages]


@settings(max_examples=200, deadline=None)
@given(frames=frames_strategy, cuts=st.lists(st.integers(min_value=0), max_size=30))
def test_the_frames_come_back_whatever_the_blocks(frames: list[Frame], cuts: list[int]) -> None:
    data = _written(frames)
    assert len(data) == sum(9 + len(payload) for _, payload in frames)
    blocks = _blocks(data, cuts)
    assert b"".join(blocks) == data
    assert _read(imp._messages(_queued(blocks))) == frames


@settings(max_examples=200, deadline=None)
@given(
    frames=frames_strategy,
    cuts=st.lists(st.integers(min_value=0), max_size=30),
    into_last=st.integers(min_value=1),
)
def test_blocks_ending_within_a_frame_give_the_frames_before_it(
    frames: list[Frame], cuts: list[int], into_last: int
) -> None:
    data = _written(frames)
    last = 9 + len(frames[-1][1])
    # Cut somewhere after the last frame's first byte and before its last one.
    data = data[: len(data) - last + 1 + into_last % (last - 1)]
    received = _queued(_blocks(data, cuts))
    assert _read(imp._messages(received)) == frames[:-1]
    assert received.empty()  # it read up to the end and stopped there


def test_a_frame_larger_than_the_pipe_buffer_comes_through_a_real_pipe() -> None:
    big = os.urandom(3 * 1024 * 1024 + 7)  # more than any pipe buffer (at most 1 MB asked for)
    frames: list[Frame] = [(b"C", big), (b"C", b""), (b"E", b"x" * 70_000), (b"Z", b"")]
    read_fd, write_fd = os.pipe()
    received: queue.Queue[bytes] = queue.Queue()
    stop = threading.Event()
    receiver = threading.Thread(target=imp._receive, args=(read_fd, received, stop))
    receiver.start()

    def send_all() -> None:
        try:
            for kind, payload in frames:
                imp._send(write_fd, kind, payload)
        finally:
            os.close(write_fd)

    sender = threading.Thread(target=send_all)
    sender.start()
    try:
        got = _read(imp._messages(received))
    finally:
        sender.join()
        receiver.join()
        os.close(read_fd)
    assert [kind for kind, _ in got] == [b"C", b"C", b"E", b"Z"]
    assert got == frames
