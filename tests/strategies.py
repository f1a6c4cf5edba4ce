"""Hypothesis strategies for learningorg's domain, shared by the property and stateful tests.

``events_of(cls)`` builds valid instances of any event class from its pydantic field definitions
(types, bounds, literals), so a new event class gets a strategy without new code here.
``any_event`` draws from every class of the catalogue.
"""

from __future__ import annotations

import types
import typing
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Literal, get_args, get_origin
from uuid import UUID

import annotated_types as at
from hypothesis import strategies as st
from pydantic import AwareDatetime, ValidationError
from pydantic.fields import FieldInfo

from learningorg.domain import events as ev

#: Keys as HR systems hand them out: short, printable, non-blank.
keys = st.text(
    alphabet=st.characters(min_codepoint=48, max_codepoint=122, categories=("L", "Nd")),
    min_size=1,
    max_size=12,
)

#: Aware datetimes in a realistic range, in UTC and a few fixed offsets.
aware_datetimes = st.datetimes(
    min_value=datetime(2015, 1, 1),
    max_value=datetime(2035, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]),
)

short_text = st.text(max_size=40)


def _bounds(info: FieldInfo) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    for item in info.metadata:
        if isinstance(item, at.Ge):
            bounds["ge"] = item.ge
        elif isinstance(item, at.Gt):
            bounds["gt"] = item.gt
        elif isinstance(item, at.Le):
            bounds["le"] = item.le
        elif isinstance(item, at.Lt):
            bounds["lt"] = item.lt
        elif isinstance(item, at.MinLen):
            bounds["min_len"] = item.min_length
    return bounds


def _for_type(annotation: Any, bounds: dict[str, Any]) -> st.SearchStrategy[Any]:
    origin = get_origin(annotation)
    if origin is Literal:
        return st.sampled_from(get_args(annotation))
    if origin in (types.UnionType, typing.Union):
        options = [a for a in get_args(annotation) if a is not type(None)]
        inner = st.one_of(*(_for_type(a, bounds) for a in options))
        return st.none() | inner if type(None) in get_args(annotation) else inner
    if origin is tuple:
        item = get_args(annotation)[0]
        return st.lists(
            _for_type(item, {}), min_size=bounds.get("min_len", 0), max_size=4, unique=True
        ).map(tuple)
    if origin is dict:
        return st.dictionaries(keys, st.floats(1, 5), min_size=1, max_size=4)
    if annotation is typing.Annotated or getattr(annotation, "__metadata__", None):
        return _for_type(get_args(annotation)[0], bounds)
    if annotation is AwareDatetime or annotation is datetime:
        return aware_datetimes
    if annotation is date:
        return st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))
    if annotation is UUID:
        return st.uuids()
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        low = bounds.get("ge", bounds["gt"] + 1 if "gt" in bounds else 0)
        return st.integers(low, bounds.get("le", low + 1000))
    if annotation is float:
        low = bounds.get("ge", bounds.get("gt", 0.0))
        high = bounds.get("le", 1000.0)
        return st.floats(low, high, exclude_min="gt" in bounds, allow_nan=False)
    if annotation is str:
        return keys if bounds.get("min_len") else short_text
    msg = f"no strategy for field type {annotation!r}"
    raise TypeError(msg)


def _field_strategy(name: str, info: FieldInfo) -> st.SearchStrategy[Any]:
    if name == "originator_version":
        return st.integers(1, 10_000)
    if name == "organisation":
        return keys
    if name == "statement":
        return st.none() | st.just({"verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}})
    return _for_type(info.annotation, _bounds(info))


@st.composite
def _event(draw: st.DrawFn, cls: type[ev.LearningEvent]) -> ev.LearningEvent:
    fields = {name: draw(_field_strategy(name, info)) for name, info in cls.model_fields.items()}
    # Cross-field rules (periods in order, recipients present, means on the scale):
    for name in ("period_start",):
        if name in fields and fields["period_end"] <= fields[name]:
            fields["period_end"] = fields[name] + timedelta(days=draw(st.integers(1, 2000)))
    if cls is ev.LearningClimateMeasured:
        fields["dimension_means"] = {
            k: min(v, fields["scale"]) for k, v in fields["dimension_means"].items()
        }
    if cls is ev.KnowledgeShared and not (fields["to_persons"] or fields["to_teams"]):
        fields["organisation_wide"] = True
    if cls is ev.AdviceSought and (fields["from_person"] is None) == (
        fields["external_source"] is None
    ):
        fields["external_source"] = None if fields["from_person"] else "literature"
    if cls is ev.WorkHoursAttested:
        fields["client_contact_hours"] = min(fields["client_contact_hours"], fields["hours"])
    try:
        return cls.model_validate(fields)
    except ValidationError as error:  # pragma: no cover - a strategy bug, shown plainly
        msg = f"strategy for {cls.__name__} drew invalid fields: {error}"
        raise AssertionError(msg) from error


def events_of(cls: type[ev.LearningEvent]) -> st.SearchStrategy[ev.LearningEvent]:
    """Valid instances of one event class, built from its field definitions."""
    return _event(cls)


#: Any event of the catalogue.
any_event = st.sampled_from(ev.event_classes()).flatmap(events_of)
