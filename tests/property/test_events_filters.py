"""``events(organisation=..., occurred_between=...)`` keeps what filtering every event keeps.

Both filters are first decided on the stored JSON, before an event is parsed; that screen may
let through too much (the parsed event is checked again) but must never leave out an event that
belongs. Times are drawn in several offsets and to the microsecond, bounds on and around them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learningorg import LearningRecords
from learningorg.errors import NaiveDatetimeError
from learningorg.persistence.stores import new_cipher_key

#: Stored as plain JSON, and encrypted at rest (the screen decrypts before it looks).
KEY = new_cipher_key()

T0 = datetime(2024, 1, 1, tzinfo=UTC)
ZONES = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]

moments = st.builds(
    lambda seconds, micro, zone: (T0 + timedelta(seconds=seconds, microseconds=micro)).astimezone(
        zone
    ),
    st.integers(0, 3 * 86_400),
    st.sampled_from([0, 1, 999_999]),
    st.sampled_from(ZONES),
)


def bound(moments_drawn: list[datetime]) -> st.SearchStrategy[datetime | None]:
    """None, one of the drawn moments (a bound right on an event), or a moment near one."""
    near = st.sampled_from(moments_drawn).flatmap(
        lambda m: st.sampled_from([m, m - timedelta(microseconds=1), m + timedelta(seconds=1)])
    )
    return st.none() | near | moments


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b"]), moments), min_size=1, max_size=25),
    st.booleans(),
    st.data(),
)
def test_filters_keep_exactly_the_matching_events(
    recorded: list[tuple[str, datetime]], encrypted: bool, data: st.DataObject
) -> None:
    with TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'store.db'}"
        with LearningRecords(f"{url}?cipher_key={KEY}" if encrypted else url) as records:
            for organisation in ("a", "b"):
                records.register_organisation(organisation, occurred_at=T0)
                records.register_person(organisation, "P", occurred_at=T0)
            for organisation, at in recorded:
                records.log_reflection(organisation, "P", minutes=10, occurred_at=at)
            times = [at for _, at in recorded]
            low = data.draw(bound(times), label="low")
            high = data.draw(bound(times), label="high")
            organisation = data.draw(st.sampled_from([None, "a", "b"]), label="organisation")
            everything = list(records.events())
            expected = [
                entry
                for entry in everything
                if (organisation is None or entry.event.organisation == organisation)
                and (low is None or entry.event.occurred_at >= low)
                and (high is None or entry.event.occurred_at <= high)
            ]
            found = list(records.events(organisation=organisation, occurred_between=(low, high)))
            assert found == expected


def test_a_naive_bound_is_refused_by_name() -> None:
    with LearningRecords("memory://") as records, pytest.raises(NaiveDatetimeError, match="high"):
        list(records.events(occurred_between=(None, datetime(2024, 1, 1))))
