"""Analyst exports are pseudonymised by default: no name, email, key or identifier of anyone.

Checked for every export the library offers (xAPI, Parquet, CSV, GraphML, GEXF, node-link JSON,
the knowledge-flow report), through the Python API and the ``learningorg export`` command; with
the explicit flag (``names=True`` / ``--names``) the names appear, so the scans can fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
from tests.integration.test_privacy_erasure import (
    AS_OF,
    ERASED_PERSON,
    KEPT_PERSON,
    ORG,
    build_history,
    needles,
)

from learningorg import LearningRecords
from learningorg.analysis import history_frame, write_parquet
from learningorg.projections.knowledge_flow.exports import node_link, write_gexf, write_graphml

PERSONAL = needles(ERASED_PERSON) + needles(KEPT_PERSON)


def api_exports(records: LearningRecords, folder: Path) -> dict[str, bytes]:
    """Every default (pseudonymised) export of the organisation, as bytes."""
    graph = records.knowledge_flow_graph(ORG, as_of=AS_OF)
    team_graph = records.knowledge_flow_graph(ORG, as_of=AS_OF, level="team")
    write_graphml(graph, folder / "flow.graphml")
    write_gexf(team_graph, folder / "teams.gexf")
    frame = history_frame(records, organisation=ORG)
    write_parquet(frame, folder / "history.parquet")
    frame.to_csv(folder / "history.csv", index=False)
    return {
        "xapi": orjson.dumps(list(records.export_statements(ORG))),
        "graphml": (folder / "flow.graphml").read_bytes(),
        "gexf": (folder / "teams.gexf").read_bytes(),
        "node-link": orjson.dumps(node_link(graph), default=str),
        "report": orjson.dumps(records.knowledge_flow_report(ORG, as_of=AS_OF), default=str),
        "parquet": (folder / "history.parquet").read_bytes(),
        "csv": (folder / "history.csv").read_bytes(),
    }


def test_api_exports_name_nobody_by_default(tmp_path: Path) -> None:
    """Default exports hold no personal value of any person; named ones do."""
    with LearningRecords(f"sqlite:///{tmp_path / 'store.db'}") as records:
        build_history(records)
        exports = api_exports(records, tmp_path)
        named = orjson.dumps(list(records.export_statements(ORG, names=True)))
        gone = str(records.person_id(ORG, ERASED_PERSON["key"]))
    for kind, data in exports.items():
        for needle in PERSONAL:
            assert needle not in data, (kind, needle)
    assert gone.encode() in exports["graphml"], "persons appear under their pseudonymous id"
    assert ERASED_PERSON["email"].encode() in named
    assert KEPT_PERSON["name"].encode() in named


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``learningorg`` in a subprocess, with no store setting leaking in."""
    environment = {k: v for k, v in os.environ.items() if k != "LEARNINGORG_STORE"}
    return subprocess.run(
        [sys.executable, "-m", "learningorg.cli", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_exports_name_nobody_by_default(tmp_path: Path) -> None:
    """``learningorg export`` in every format is pseudonymous unless ``--names`` is given."""
    store = f"sqlite:///{tmp_path / 'store.db'}"
    with LearningRecords(store) as records:
        build_history(records)
    outputs = {}
    for fmt in ("parquet", "csv", "xapi"):
        target = tmp_path / f"export.{fmt}"
        done = cli("export", "--store", store, "-f", fmt, "--organisation", ORG,
                   "--output", str(target), cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs[fmt] = target.read_bytes()
        assert outputs[fmt], fmt
    for fmt, data in outputs.items():
        for needle in PERSONAL:
            assert needle not in data, (fmt, needle)
    named = tmp_path / "named.ndjson"
    done = cli("export", "--store", store, "-f", "xapi", "--organisation", ORG, "--names",
               "--output", str(named), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert ERASED_PERSON["email"].encode() in named.read_bytes()
