"""The analyst's toolkit: history DataFrame, pseudonyms, Parquet determinism, plots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from learningorg import LearningRecords
from learningorg.analysis import (
    CAPACITY_COLUMNS,
    COMPLIANCE_COLUMNS,
    HISTORY_COLUMNS,
    capacity_columns,
    capacity_frame,
    capacity_rows,
    compliance_frame,
    compliance_rows,
    figure_png,
    flow_frames,
    flow_summary,
    history_frame,
    plot_flow_graph,
    plot_monthly_activity,
    plot_nji_profile,
    plot_series,
    pseudonym,
    read_parquet,
    write_parquet,
)
from learningorg.errors import InvalidValueError

ORG = "jeugdzorg-noord"
T0 = datetime(2024, 1, 8, 9, tzinfo=UTC)


class Clock:
    """A hand-set recording clock."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def record(records: LearningRecords, clock: Clock) -> None:
    """A small history with persons, a team, numbers, a late record and a retraction."""
    records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=T0)
    records.register_team(ORG, "AMB", "Ambulant", occurred_at=T0)
    for key, name in (("E001", "Sanne Visser"), ("E002", "Daan de Boer"), ("E003", "Noor Bakker")):
        records.register_person(ORG, key, name=name, email=f"{key}@noord.example", occurred_at=T0)
        records.add_member(ORG, "AMB", key, occurred_at=T0)
    clock.now = T0 + timedelta(days=7)
    records.hold_intervision(ORG, "AMB", participants=["E001", "E002", "E003"], minutes=90,
                             occurred_at=T0 + timedelta(days=7))  # fmt: skip
    records.complete_learning_activity(ORG, "E001", mode="formal", hours=8, points=8,
                                       occurred_at=T0 + timedelta(days=7))  # fmt: skip
    wrong = records.log_reflection(ORG, "E002", minutes=45, occurred_at=T0 + timedelta(days=7))
    clock.now = T0 + timedelta(days=100)
    records.log_reflection(ORG, "E003", minutes=30, occurred_at=T0 + timedelta(days=10))
    assert wrong.event_id is not None
    records.retract(ORG, wrong.event_id, reason="wrong person")


@pytest.fixture
def frame() -> pd.DataFrame:
    """The history frame of the small history (ordinal pseudonyms)."""
    clock = Clock()
    with LearningRecords("memory://", clock=clock) as records:
        record(records, clock)
        return history_frame(records, pseudonyms="ordinal")


def test_columns_and_types(frame: pd.DataFrame) -> None:
    """One row per event, the documented columns in order, with their dtypes."""
    assert list(frame.columns) == list(HISTORY_COLUMNS)
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == HISTORY_COLUMNS
    assert list(frame["position"]) == list(range(1, len(frame) + 1))


def test_values_where_present(frame: pd.DataFrame) -> None:
    """Minutes, hours, points, participants appear on their events and are missing elsewhere."""
    intervision = frame[frame["type"] == "IntervisionHeld"].iloc[0]
    assert intervision["minutes"] == 90
    assert intervision["participants"] == 3
    assert intervision["stream_kind"] == "team"
    activity = frame[frame["type"] == "LearningActivityCompleted"].iloc[0]
    assert activity["points"] == 8.0
    assert pd.isna(activity["minutes"])
    assert frame[frame["type"] == "OrganisationRegistered"]["minutes"].isna().all()


def test_late_and_retracted(frame: pd.DataFrame) -> None:
    """delay_days shows the late record; the retracted reflection is marked, the other not."""
    reflections = frame[frame["type"] == "ReflectionLogged"]
    assert list(reflections["retracted"]) == [True, False]
    assert reflections["delay_days"].iloc[1] == pytest.approx(90.0)
    assert frame[frame["type"] == "EventRetracted"]["stream_kind"].iloc[0] == "person"


def test_no_person_key_name_or_email_appears(frame: pd.DataFrame) -> None:
    """Persons are pseudonyms: no key, name or email anywhere in the frame."""
    text = frame.astype(str).to_csv()
    for secret in ("E001", "E002", "E003", "Sanne", "Visser", "Daan", "Noor", "@"):
        assert secret not in text
    persons = frame[frame["stream_kind"] == "person"]["stream"]
    assert set(persons) == {"person-0001", "person-0002", "person-0003"}


def test_keyed_pseudonyms_hide_the_stream_id() -> None:
    """Keyed pseudonyms are 16 hex digits, differ per key, and are not the stream id."""
    clock = Clock()
    with LearningRecords("memory://", clock=clock) as records:
        record(records, clock)
        frame = history_frame(records)
        other = history_frame(records, pseudonym_key=b"another key")
        person = records.person_id(ORG, "E001")
    assert frame["stream"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert pseudonym(records.secret, person) in set(frame["stream"])
    assert str(person) not in set(frame["stream"])
    assert set(frame["stream"]).isdisjoint(set(other["stream"]))


def test_unknown_pseudonym_scheme_is_rejected() -> None:
    """An unknown pseudonym scheme names itself in the error."""
    with LearningRecords("memory://") as records, pytest.raises(InvalidValueError, match="hashed"):
        history_frame(records, pseudonyms="hashed")  # type: ignore[arg-type]


def test_organisation_and_position_filters() -> None:
    """organisation keeps one organisation; since/until select positions."""
    clock = Clock()
    with LearningRecords("memory://", clock=clock) as records:
        record(records, clock)
        records.register_organisation("other", "Other", occurred_at=T0)
        assert set(history_frame(records, organisation=ORG)["organisation"]) == {ORG}
        window = history_frame(records, since=2, until=4)
    assert list(window["position"]) == [3, 4]


def test_parquet_is_byte_identical_and_round_trips(frame: pd.DataFrame, tmp_path: Path) -> None:
    """The same history gives the same Parquet bytes in two stores; it reads back equal."""
    frames = []
    for _ in range(2):
        clock = Clock()
        with LearningRecords("memory://", clock=clock) as records:
            record(records, clock)
            frames.append(history_frame(records, pseudonyms="ordinal"))
    first = write_parquet(frames[0], tmp_path / "a.parquet")
    second = write_parquet(frames[1], tmp_path / "b.parquet")
    assert first.read_bytes() == second.read_bytes()
    back = read_parquet(first)
    pd.testing.assert_frame_equal(back, frame)


def test_plots_render_pngs(frame: pd.DataFrame) -> None:
    """Every plot renders to a PNG, the same data giving the same bytes."""
    series = pd.DataFrame({
        "at": [T0, T0 + timedelta(days=30), T0, T0 + timedelta(days=30)],
        "entity": ["AMB", "AMB", "GH", "GH"],
        "score": [40.0, 55.0, 60.0, 52.0],
    })  # fmt: skip
    graph = nx.DiGraph()
    graph.add_edge("AMB", "GH", weight=2.0)
    graph.add_edge("GH", "CRIS", weight=0.5)
    figures = {
        "series": lambda: plot_series(series),
        "activity": lambda: plot_monthly_activity(frame),
        "nji": lambda: plot_nji_profile({"Noord": {"V": 40, "U": 55, "M": 70, "S": None}}),
        "flow": lambda: plot_flow_graph(graph),
        "empty flow": lambda: plot_flow_graph(nx.DiGraph()),
    }
    for name, make in figures.items():
        png = figure_png(make())
        assert png.startswith(b"\x89PNG"), name
        assert png == figure_png(make()), name


def _teams_history(records: LearningRecords) -> None:
    """Two teams; E003 of GH advises both AMB members; both teams also share inside (GH twice)."""
    records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=T0)
    for team in ("AMB", "GH"):
        records.register_team(ORG, team, team, occurred_at=T0)
    for key, team in (("E001", "AMB"), ("E002", "AMB"), ("E003", "GH"), ("E004", "GH")):
        records.register_person(ORG, key, occurred_at=T0)
        records.add_member(ORG, team, key, occurred_at=T0)
    later = T0 + timedelta(days=10)
    for seeker in ("E001", "E002"):
        records.seek_advice(ORG, seeker, from_person="E003", occurred_at=later)
    records.share_knowledge(ORG, "E001", to_persons=["E002"], occurred_at=later)
    records.share_knowledge(ORG, "E004", to_persons=["E003"], occurred_at=later)
    records.share_knowledge(ORG, "E004", to_persons=["E003"], occurred_at=later)
    records.register_person(ORG, "E005", occurred_at=T0)
    records.change_registration(ORG, "E005", register_name="SKJ", number="1",
                                period_start=date(2020, 1, 1), period_end=date(2025, 1, 1),
                                occurred_at=T0)  # fmt: skip


def test_capacity_rows_and_frame() -> None:
    """One row per result: score, V/U/M/S, coverage and the level's sub-scores, in code order;
    a series gives one row per moment."""
    at = T0 + timedelta(days=30)
    with LearningRecords("memory://") as records:
        _teams_history(records)
        result = records.capacity(ORG, "team", "AMB", as_of=at)
        series = records.capacity_series(ORG, "organisation", start=T0, end=at, every="week")
    (row,) = capacity_rows([result])
    assert row["entity"] == "AMB"
    assert row["score"] == (None if result.score is None else round(result.score, 1))
    assert row["V"] == (None if result.profile.V is None else round(result.profile.V, 1))
    codes = [c for c in row if c.startswith("G")]
    assert codes == [f"G{i}" for i in range(1, 9) if f"G{i}" in result.subscores]
    frame = capacity_frame(series.points)
    assert len(frame) == len(series.points) == 5
    assert list(frame["entity"]) == [ORG] * 5
    assert list(frame.columns[: len(CAPACITY_COLUMNS)]) == list(CAPACITY_COLUMNS)
    assert capacity_columns([row])[-1] == codes[-1]


def test_compliance_rows() -> None:
    """One row per professional with a registration: status, period end, achieved/required."""
    with LearningRecords("memory://") as records:
        _teams_history(records)
        records.complete_learning_activity(ORG, "E005", mode="formal", hours=8, points=8,
                                           occurred_at=T0 + timedelta(days=1))  # fmt: skip
        result = records.compliance(ORG, "person", "E005", as_of=T0 + timedelta(days=2))
    (row,) = compliance_rows(result)
    assert row["person"] == "E005"
    assert row["register"] == "SKJ"
    assert row["period_end"] == date(2025, 1, 1)
    assert row["development_points"] == "8/60"
    assert row["status"] == result.persons[0].status
    frame = compliance_frame(result)
    assert list(frame.columns) == list(COMPLIANCE_COLUMNS)


def test_flow_frames_and_summary() -> None:
    """Nodes and edges as frames; the summary ranks the teams by boundary share and names the
    broker: E003 of GH advises AMB (crossing), GH shares more inside than AMB does."""
    at = T0 + timedelta(days=30)
    with LearningRecords("memory://") as records:
        _teams_history(records)
        graph = records.knowledge_flow_graph(ORG, as_of=at, level="team")
        report = records.knowledge_flow_report(ORG, as_of=at)
    nodes, edges = flow_frames(graph)
    assert set(nodes["node"]) == {"AMB", "GH"}
    assert {(s, t) for s, t in zip(edges["source"], edges["target"], strict=True)} == {
        ("GH", "AMB")
    }
    summary = flow_summary(report)
    assert [row["team"] for row in summary.teams] == ["GH", "AMB"]
    assert summary.teams[0]["boundary_share"] < summary.teams[1]["boundary_share"]
    assert summary.brokers[0]["team"] == "GH"
    shares = {row["team"]: row["boundary_share"] for row in summary.teams}
    assert summary.silos == [t for t, s in shares.items() if s is not None and s < 0.1]
