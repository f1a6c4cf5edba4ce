"""The ``learningorg`` command: record, replay, inspect and export learning histories (cli layer).

Exit codes: 0 ok, 1 partial failure (some statements invalid, the store failed midway),
2 usage error (a bad option value, a missing file, an unknown organisation, a bad store URL).
Errors are one line on stderr; ``--debug`` (anywhere on the line) shows the traceback instead.
"""

from __future__ import annotations

import csv
import io
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from learningorg.domain import events as ev
from learningorg.errors import (
    InvalidInputError,
    LearningOrgError,
    NotFoundError,
    OrganisationScopeError,
    StoreURLError,
)
from learningorg.records import LearningRecords

PROG = "learningorg"

app = typer.Typer(
    name=PROG,
    help="Record learning as events, replay it, and export it for analysis.\n\n"
    "Start with the demo: learningorg demo",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"max_content_width": 120},
)


class Format(StrEnum):
    """How a reporting command prints its result."""

    table = "table"
    json = "json"
    csv = "csv"


class ExportFormat(StrEnum):
    """File formats of ``learningorg export``."""

    parquet = "parquet"
    csv = "csv"
    xapi = "xapi"


class CapacityLevel(StrEnum):
    """The levels of ``learningorg capacity``."""

    person = "person"
    team = "team"
    organisation = "organisation"


class FlowLevel(StrEnum):
    """The levels of ``learningorg flow``."""

    person = "person"
    team = "team"


class FlowFormat(StrEnum):
    """``learningorg flow``: a summary (table, json, csv) or a graph file (--output)."""

    table = "table"
    json = "json"
    csv = "csv"
    graphml = "graphml"
    gexf = "gexf"
    png = "png"


class Series(StrEnum):
    """How often ``learningorg capacity --series`` evaluates."""

    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"


class Status(StrEnum):
    """The compliance statuses ``learningorg compliance --status`` can select."""

    met = "met"
    on_track = "on_track"
    at_risk = "at_risk"
    short = "short"


class UsageProblem(Exception):  # noqa: N818 (a usage problem, reported as such)
    """A usage error found after parsing (exit code 2)."""


class PartialFailure(Exception):  # noqa: N818 (named for the exit code it maps to)
    """The command did part of its work; the message says what failed (exit code 1)."""


# ---------------------------------------------------------------- option parsing


def parse_moment(value: str, option: str) -> datetime:
    """An ISO 8601 date or datetime; a date alone is 00:00 UTC, a time without zone is UTC."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        msg = (
            f"{value!r} is not an ISO 8601 date or datetime; "
            "use e.g. 2024-03-01 or 2024-03-01T09:30:00+01:00"
        )
        raise typer.BadParameter(msg, param_hint=option) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _as_of(value: str | None) -> datetime | None:
    return None if value is None else parse_moment(value, "--as-of")


def _known_at(value: str | None) -> datetime | int | None:
    if value is None:
        return None
    if value.strip().isdigit():
        return int(value)
    return parse_moment(value, "--known-at")


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="LEARNINGORG_STORE",
        show_envvar=True,
        help="Store URL: sqlite:///path.db, postgresql://user@host/db or memory:// "
        "[default: sqlite:///learningorg.db]",
    ),
]
FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="Output: a table, JSON or CSV.")
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Business time: only what occurred up to this ISO 8601 date/datetime "
        "(a date alone is 00:00 UTC).",
    ),
]
KnownAtOption = Annotated[
    str | None,
    typer.Option(
        "--known-at",
        help="Recording time: only what the store knew at this ISO 8601 datetime, "
        "or at this position (an integer).",
    ),
]


OrganisationOption = Annotated[
    str | None,
    typer.Option(
        "--organisation",
        "-o",
        help="The organisation's key (may be left out when the store holds only one).",
    ),
]
OrganisationFilter = Annotated[
    str | None, typer.Option("--organisation", "-o", help="Only this organisation.")
]


@contextmanager
def _open(store: str | None, **kwargs: Any) -> Iterator[LearningRecords]:
    with LearningRecords(store, **kwargs) as records:
        yield records


def _check_organisation(records: LearningRecords, organisation: str | None) -> None:
    """A usage error unless ``organisation`` is None or registered in the store."""
    if organisation is not None and organisation not in records.organisations():
        msg = f"organisation {organisation!r} is not registered in {records.config.display_url}"
        known = records.organisations()
        if known:
            msg += "; it holds " + ", ".join(known)
        raise UsageProblem(msg)


def _organisation(records: LearningRecords, organisation: str | None) -> str:
    """The organisation a reporting command is about: the one given, or the store's only one."""
    if organisation is not None:
        _check_organisation(records, organisation)
        return organisation
    known = records.organisations()
    if len(known) == 1:
        return known[0]
    held = ", ".join(known) if known else "no organisation"
    msg = f"pass --organisation KEY: {records.config.display_url} holds {held}"
    raise UsageProblem(msg)


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        # Piped or captured output: do not squeeze tables into 80 columns.
        console = Console(highlight=False, width=200)
    return console


def _progress(console: Console | None = None) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
        transient=False,
    )


def _emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: Format,
    title: str,
    *,
    wrap: Sequence[str] = (),
) -> None:
    """Print rows as a rich table, a JSON array or CSV with a header.

    In a table, the ``wrap`` columns (long text) wrap; the others stay on one line.
    """
    if fmt is Format.json:
        sys.stdout.write(
            orjson.dumps(
                [{c: row.get(c) for c in columns} for row in rows],
                option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS,
            ).decode()
            + "\n"
        )
        return
    if fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else _text(row.get(c)) for c in columns])
        sys.stdout.write(buffer.getvalue())
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column, no_wrap=column not in wrap, ratio=1 if column in wrap else None)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else _text(row.get(c)) for c in columns))
    _console().print(table)


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------- commands


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
) -> None:
    """Record learning as events, replay it, and export it for analysis."""


@app.command()
def init(store: StoreOption = None) -> None:
    """Create the store (tables and the store secret) if it does not exist yet.

    Example:

        learningorg init --store sqlite:///learningorg.db
    """
    with _open(store) as records:
        position = records.max_position()
        url = records.config.display_url
    typer.echo(f"store ready: {url} ({position} events)")


def _topics(types: Sequence[str]) -> list[str]:
    by_name = {cls.__name__: cls.TOPIC for cls in ev.event_classes()}
    topics: list[str] = []
    for name in types:
        topic = by_name.get(name) or (name if name in by_name.values() else None)
        if topic is None:
            msg = f"--type {name!r} is not an event type; use one of " + ", ".join(sorted(by_name))
            raise UsageProblem(msg)
        topics.append(topic)
    return topics


@app.command()
def history(
    store: StoreOption = None,
    organisation: OrganisationFilter = None,
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type", "-t", help="Only this event type (repeatable), e.g. IntervisionHeld."
        ),
    ] = None,
    since: Annotated[
        int | None, typer.Option("--since", min=0, help="Only events after this position.")
    ] = None,
    until: Annotated[
        int | None, typer.Option("--until", min=0, help="Only events up to this position.")
    ] = None,
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Print at most this many events.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The ordered history: one line per event, persons and teams only as pseudonyms.

    Example (in the demo's folder, demo-output/):

        learningorg history --store sqlite:///demo.db -t IntervisionHeld --limit 5
    """
    from learningorg.analysis import history_rows

    moment = _as_of(as_of)
    known = _known_at(known_at)
    topics = _topics(types or [])
    with _open(store) as records:
        _check_organisation(records, organisation)
        rows = []
        for row in history_rows(
            records, organisation=organisation, since=since, until=until, topics=topics
        ):
            if moment is not None and row["occurred_at"] > moment:
                continue
            if isinstance(known, int) and row["position"] > known:
                continue
            if isinstance(known, datetime) and row["recorded_at"] > known:
                continue
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
    columns = ["position", "occurred_at", "recorded_at", "organisation", "type", "stream_kind",
               "stream", "minutes", "hours", "points", "retracted"]  # fmt: skip
    _emit(rows, columns, fmt, "History")


@app.command()
def demo(
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic history.")] = 2024,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for demo.db, report.html and the exports.")
    ] = Path("demo-output"),
    scale: Annotated[
        float,
        typer.Option("--scale", min=0.1, max=3.0, help="Team size factor (1.0: 6-12 per team)."),
    ] = 1.0,
) -> None:
    """Record two years of four synthetic youth-care organisations, replay them, report.

    Writes a fresh SQLite store (demo.db), report.html, Parquet, GraphML and xAPI exports into
    --out, and prints what the projections found.

    Example:

        learningorg demo --seed 2024 --out demo-output
    """
    from learningorg.demo import run_demo

    console = _console()
    console.print(
        f"[bold]learningorg demo[/bold]: two years (2023-2024) of four synthetic youth-care "
        f"organisations, seed {seed}. Every fact is recorded as an event in {out}/demo.db, then "
        "the projections replay the events."
    )
    with _progress() as bar:
        tasks: dict[str, Any] = {}
        labels = {
            "record": "recording the history",
            "analyse": "scoring capacity, compliance, flow",
            "replay": "exporting the history",
        }

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        summary = run_demo(out, seed=seed, scale=scale, progress=update)
    _print_demo(console, summary)


def _demo_table(
    title: str,
    caption: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    text_columns: int = 2,
    section_after: int | None = None,
) -> Table:
    table = Table(title=title, caption=caption, title_justify="left", caption_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index < text_columns else "right")
    for number, row in enumerate(rows, start=1):
        table.add_row(*("" if value is None else _text(value) for value in row))
        if number == section_after:
            table.add_section()
    return table


def _one(value: float | None) -> str | None:
    """A score with one decimal (empty when there are no data)."""
    return None if value is None else f"{value:.1f}"


def _print_demo(console: Console, summary: Any) -> None:
    """The demo's summary, each table with a line saying how to read it."""
    found = summary.insights
    names = {o.key: o.name for o in summary.organisations}
    console.print(_demo_table(
        f"What was recorded ({summary.events} events)",
        "Late records arrived more than 30 days after they happened; retractions correct mistakes.",
        ["organisation", "key", "teams", "professionals", "events", "late records", "retractions"],
        [[o.name, o.key, o.teams, o.professionals, o.events, o.late_records, o.retractions]
         for o in summary.organisations],
    ))  # fmt: skip
    console.print()
    console.print(_demo_table(
        f"Learning capacity on {summary.as_of:%Y-%m-%d}: the NJi profile (0-100)",
        "V shared vision, U dealing with uncertainty, M personal mastery, S systems view "
        "(learning across teams).\n100 = the norm reached at a steady pace over the last year. "
        "For conversation, not appraisal.",
        ["organisation", "score", "V", "U", "M", "S"],
        [[names.get(r["entity"], r["entity"]), *(_one(r[c]) for c in ("score", *"VUMS"))]
         for r in found.capacity],
        text_columns=1,
    ))  # fmt: skip
    console.print()
    ranking = summary.team_ranking()
    shown = ranking[:3] + ranking[-3:] if len(ranking) > 6 else ranking
    console.print(_demo_table(
        "Teams most and least on track for SKJ re-registration",
        "On track (or met): at or above the pro-rata share of SKJ's 60 reflection hours,\n"
        "60 development points and 3,368 work hours in five years. At risk: behind that pace.\n"
        "Short: the period ended unfinished. Capacity: the team's score (0-100), as above.",
        ["organisation", "team", "professionals", "on track", "at risk", "short", "capacity"],
        [[names.get(r["organisation"], r["organisation"]), r["name"], r["professionals"],
          r["on_track"], r["at_risk"], r["short"], _one(r["score"])] for r in shown],
        section_after=3 if len(ranking) > 6 else None,
    ))  # fmt: skip
    console.print()
    flagged = len(found.flagged)
    console.print(
        f"{flagged} professionals in employment are flagged: their SKJ period ends within 12 "
        "months and they are not on track (listed in report.html).\n"
    )
    console.print(_demo_table(
        "Brokers and silos in the last year's knowledge flow",
        "A broker connects colleagues of different teams (high betweenness, 0-1); persons appear "
        "as pseudonyms.\nCross-team share: the part of all knowledge flow that crosses a team "
        "boundary.\nA silo is a team keeping less than 10% of its knowledge flow across its "
        "boundary.",
        ["organisation", "top broker", "team", "betweenness", "cross-team share", "silos"],
        [[names.get(org, org), b["person"], b["team"], b["betweenness"],
          found.flow[org]["cross_team_share"], ", ".join(found.silos.get(org, [])) or "none"]
         for org in found.flow for b in found.brokers
         if b["organisation"] == org and b["rank"] == 1],
    ))  # fmt: skip
    console.print()
    story = found.broker
    if story is not None:
        console.print(
            f"[bold]The broker who left:[/bold] {story.person} (team {story.team}, "
            f"{names.get(story.organisation, story.organisation)}) was broker number "
            f"{story.rank_before} (betweenness {story.betweenness_before}) until leaving on "
            f"{story.left_on}.\nIn the year after, the share of knowledge crossing teams went "
            f"from {story.cross_team_share_before} to {story.cross_team_share_after}; "
            f"{story.lost_cross_team_ties} of the {story.cross_team_ties_before} cross-team ties "
            f"of the year before were gone, {story.lost_ties_of_the_broker} of them the "
            "broker's own.\n"
        )
    for label, path in summary.files.items():
        console.print(f"{label}: {path}")
    report = summary.files.get("report")
    if report is not None:
        console.print(
            f"\nOpen {report} in a browser for the charts, the flow graphs and the lists."
        )


def _read_statements(path: str) -> Iterator[tuple[str, object]]:
    """(where, statement-or-error) for each statement in a JSON or NDJSON file ('-': stdin).

    A JSON document holding one statement or an array counts as JSON; anything else is read
    line by line as NDJSON. A line that is not JSON yields a ``ValueError`` as its value.
    """
    if path == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            msg = f"file {path!r} does not exist"
            raise UsageProblem(msg) from None
        except (OSError, UnicodeDecodeError) as error:
            msg = f"cannot read {path!r}: {error}"
            raise UsageProblem(msg) from None
    name = "<stdin>" if path == "-" else path
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            yield name, ValueError(f"not valid JSON: {error}")
            return
        if isinstance(document, list):
            for index, item in enumerate(document):
                yield f"{name}[{index}]", item
            return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{name}:{number}", orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield f"{name}:{number}", ValueError(f"line {number} is not valid JSON: {error}")


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="xAPI JSON or NDJSON files; '-' reads stdin.")],
    version: Annotated[
        str | None,
        typer.Option("--version", help="xAPI version (1.0.3 or 2.0.0); default: per statement."),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Check xAPI statements against the xAPI specification; nothing is stored.

    Exit code 1 when any statement is invalid or any line is not JSON.

    Example (in the demo's folder, demo-output/):

        learningorg validate de-brug.xapi.ndjson
    """
    from learningorg.xapi import SUPPORTED_VERSIONS
    from learningorg.xapi import validate as check

    if version is not None and version not in SUPPORTED_VERSIONS and version != "2.0":
        msg = f"--version {version!r} is not supported; use one of {', '.join(SUPPORTED_VERSIONS)}"
        raise UsageProblem(msg)
    problems: list[dict[str, Any]] = []
    checked = 0
    for path in files:
        for where, statement in _read_statements(path):
            checked += 1
            if isinstance(statement, ValueError):
                problems.append(
                    {"where": where, "path": "", "rule": "json", "message": str(statement)}
                )
                continue
            for problem in check(statement, version):
                problems.append({"where": where, "path": problem.path, "rule": problem.rule,
                                 "message": problem.message})  # fmt: skip
    bad = len({p["where"] for p in problems})
    if problems:
        _emit(problems, ["where", "path", "rule", "message"], fmt, "Problems", wrap=["message"])
    message = f"{checked} statements checked, {checked - bad} valid, {bad} invalid"
    typer.echo(message, err=True)
    if bad:
        raise PartialFailure(f"{bad} of {checked} statements are invalid")


@app.command()
def export(
    output: Annotated[
        str, typer.Option("--output", help="File to write ('-': stdout, xapi only).")
    ],
    store: StoreOption = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="parquet or csv (one row per event), or xapi (NDJSON statements of one "
            "organisation).",
        ),
    ] = ExportFormat.parquet,
    organisation: OrganisationFilter = None,
    since: Annotated[
        int | None,
        typer.Option("--since", min=0, help="Only events after this position (parquet, csv)."),
    ] = None,
    until: Annotated[
        int | None,
        typer.Option("--until", min=0, help="Only events up to this position (parquet, csv)."),
    ] = None,
    as_of: AsOfOption = None,
    names: Annotated[
        bool,
        typer.Option(
            "--names", help="xapi: name persons by their identifiers (default: pseudonyms)."
        ),
    ] = False,
) -> None:
    """Export the history: pseudonymised rows (Parquet or CSV) or xAPI statements (NDJSON).

    Parquet and CSV hold every event, one row per event, persons as pseudonyms. xapi writes the
    statements of one organisation, persons pseudonymous unless --names.

    Example (in the demo's folder, demo-output/):

        learningorg export --store sqlite:///demo.db -f csv --output history.csv
    """
    moment = _as_of(as_of)
    if fmt is ExportFormat.xapi:
        if since is not None or until is not None:
            msg = "--since/--until are positions for parquet and csv; cut xAPI exports with --as-of"
            raise UsageProblem(msg)
        _export_xapi(store, organisation, output, moment, names=names)
        return
    if output == "-":
        raise UsageProblem(f"--format {fmt.value} needs a file for --output, not '-'")
    if names:
        raise UsageProblem("--names applies to --format xapi; Parquet and CSV are pseudonymised")
    if moment is not None:
        raise UsageProblem("--as-of applies to --format xapi; cut Parquet and CSV with --until")
    from learningorg.analysis import history_frame, write_parquet

    target = Path(output)
    with _open(store) as records:
        _check_organisation(records, organisation)
        total = records.max_position()
        with _progress() as bar:
            task = bar.add_task("reading the history", total=total)
            frame = history_frame(
                records,
                organisation=organisation,
                since=since,
                until=until,
                progress=lambda n: bar.advance(task, n),
            )
            bar.update(task, completed=total)
    if fmt is ExportFormat.parquet:
        write_parquet(frame, target)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(target, index=False, date_format="%Y-%m-%dT%H:%M:%S%z")
    typer.echo(f"wrote {len(frame)} events to {target}")


def _export_xapi(
    store: str | None, organisation: str | None, output: str, until: datetime | None, *, names: bool
) -> None:
    from learningorg.interop.xapi.exporter import write_ndjson

    with _open(store) as records:
        key = _organisation(records, organisation)
        statements = records.export_statements(key, until=until, names=names)
        with _progress() as bar:
            task = bar.add_task(f"exporting {key} as xAPI", total=None)

            def counted() -> Iterator[dict[str, Any]]:
                for statement in statements:
                    yield statement
                    bar.advance(task)

            if output == "-":
                count = write_ndjson(counted(), sys.stdout.buffer)
                sys.stdout.flush()
            else:
                Path(output).parent.mkdir(parents=True, exist_ok=True)
                count = write_ndjson(counted(), output)
    typer.echo(f"wrote {count} xAPI statements of {key} to {output}", err=output == "-")


@app.command()
def ingest(
    files: Annotated[list[str], typer.Argument(help="xAPI JSON or NDJSON files; '-' reads stdin.")],
    store: StoreOption = None,
    organisation: OrganisationOption = None,
    register: Annotated[
        bool,
        typer.Option("--register", help="Register the organisation first if the store lacks it."),
    ] = False,
    version: Annotated[
        str | None,
        typer.Option("--version", help="xAPI version (1.0.3 or 2.0.0); default: per statement."),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Import xAPI statements (JSON, JSON array or NDJSON) into an organisation.

    Every statement is validated and stored on its own: invalid ones are reported with their
    file and line, the others stored. Importing the same file again stores nothing twice.
    Exit code 1 when any statement was rejected or conflicted with one stored before.

    Example (in the demo's folder, demo-output/):

        learningorg ingest -o de-brug --register de-brug.xapi.ndjson
    """
    for path in files:
        if path != "-" and not Path(path).is_file():
            what = "is a folder" if Path(path).is_dir() else "does not exist"
            raise UsageProblem(f"file {path!r} {what}")
    totals: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    with _open(store, recorded_by="learningorg ingest") as records:
        if organisation is not None and register and organisation not in records.organisations():
            records.register_organisation(organisation, organisation)
        key = _organisation(records, organisation)
        with _progress() as bar:
            for path in files:
                failures.extend(_ingest_one(records, key, path, version, bar, totals))
    counts = {o: totals[o] for o in ("accepted", "duplicate", "conflicting", "rejected")}
    read = sum(counts.values())
    line = f"{read} statements read into {key}: " + ", ".join(f"{n} {o}" for o, n in counts.items())
    if fmt is Format.json:
        _write_json({"organisation": key, "statements": read, **counts, "failures": failures})
    elif failures:
        columns = ["where", "outcome", "statement", "problem"]
        _emit(failures, columns, fmt, "Not stored", wrap=["problem"])
    typer.echo(line, err=fmt is not Format.table)
    failed = counts["rejected"] + counts["conflicting"]
    if failed:
        raise PartialFailure(f"{failed} of {read} statements were not stored (see above)")


def _ingest_one(
    records: LearningRecords,
    organisation: str,
    path: str,
    version: str | None,
    bar: Progress,
    totals: Counter[str],
) -> list[dict[str, Any]]:
    """Import one file (or stdin) with a progress bar; count outcomes; return the failures."""
    from learningorg.interop.xapi.importer import ImportProgress

    name = "<stdin>" if path == "-" else path
    size = None if path == "-" else Path(path).stat().st_size
    task = bar.add_task(f"importing {name}", total=size)

    def step(done: ImportProgress) -> None:
        bar.update(task, completed=done.bytes_read, total=done.total_bytes or size)

    source: Any = sys.stdin.buffer if path == "-" else path
    summary = records.import_statements(
        source, organisation=organisation, version=version, progress=step
    )
    bar.update(task, completed=size or summary.total, total=size or summary.total)
    for outcome in ("accepted", "duplicate", "conflicting", "rejected"):
        totals[outcome] += getattr(summary, outcome)
    return [
        {
            "where": f"{name}:{item.line}" if item.line is not None else f"{name}[{item.index}]",
            "outcome": item.outcome,
            "statement": item.statement_id,
            "problem": "; ".join(
                [f"{p.path or '/'}: {p.message}" for p in item.problems]
                + ([item.note] if item.note else [])
            ),
        }
        for item in summary.failures
    ]


def _write_json(value: Any) -> None:
    sys.stdout.write(
        orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n"
    )


_EVERY: dict[Series, str] = {
    Series.weekly: "week",
    Series.monthly: "month",
    Series.quarterly: "quarter",
    Series.yearly: "year",
}


def _team_keys(records: LearningRecords, organisation: str) -> list[str]:
    keys = {
        entry.event.key
        for entry in records.events(organisation=organisation, topics=[ev.TeamRegistered.TOPIC])
        if isinstance(entry.event, ev.TeamRegistered)
    }
    return sorted(keys)


@app.command()
def capacity(
    store: StoreOption = None,
    organisation: OrganisationOption = None,
    level: Annotated[
        CapacityLevel, typer.Option("--level", "-l", help="person, team or organisation.")
    ] = CapacityLevel.organisation,
    entity: Annotated[
        str | None,
        typer.Option(
            "--entity",
            "-e",
            help="The person's or team's key (required for persons; default: every team).",
        ),
    ] = None,
    series: Annotated[
        Series | None,
        typer.Option("--series", help="Scores at regular moments from --since to --as-of."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="First moment of a --series (default: a year before)."),
    ] = None,
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Learning capacity: the score, the NJi profile (V, U, M, S) and every sub-score.

    V shared vision, U dealing with uncertainty, M personal mastery, S systems view (0-100;
    empty where there are no data). Sub-scores: P1-P8 (person), G1-G8 (team), O1-O7
    (organisation); docs/capacity.md explains each.

    Example (in the demo's folder, demo-output/):

        learningorg capacity --store sqlite:///demo.db -o de-brug --as-of 2024-12-31
    """
    from learningorg.analysis.projections import capacity_columns, capacity_rows

    moment = _as_of(as_of)
    known = _known_at(known_at)
    start = None if since is None else parse_moment(since, "--since")
    if series is None and start is not None:
        raise UsageProblem("--since sets the start of a --series; add e.g. --series monthly")
    if level is CapacityLevel.organisation and entity is not None:
        raise UsageProblem("--entity is for --level person or team; leave it out for organisation")
    if level is CapacityLevel.person and entity is None:
        raise UsageProblem("--level person needs --entity PERSON_KEY")
    with _open(store) as records:
        key = _organisation(records, organisation)
        if level is CapacityLevel.organisation:
            entities: list[str | None] = [None]
        elif entity is not None:
            entities = [entity]
        else:
            entities = list(_team_keys(records, key))
        end = moment or records.now()
        results = []
        with _progress() as bar:
            task = bar.add_task(f"scoring {level.value} capacity", total=len(entities))
            for name in entities:
                if series is None:
                    results.append(
                        records.capacity(key, level.value, name, as_of=moment, known_at=known)
                    )
                else:
                    first = start or end - timedelta(days=365)
                    if first > end:
                        msg = f"--since {since} is after --as-of {end.date()}"
                        raise UsageProblem(msg)
                    found = records.capacity_series(
                        key, level.value, name, start=first, end=end,
                        every=_EVERY[series], known_at=known,  # type: ignore[arg-type]
                    )  # fmt: skip
                    results.extend(found.points)
                bar.advance(task)
    rows = capacity_rows(results)
    columns = capacity_columns(rows)
    if fmt is Format.table:
        for row in rows:
            row["as_of"] = row["as_of"].date().isoformat()
    _emit(rows, columns, fmt, f"Learning capacity, {key} ({level.value})")


@app.command()
def flow(
    store: StoreOption = None,
    organisation: OrganisationOption = None,
    level: Annotated[FlowLevel, typer.Option("--level", "-l", help="person or team.")] = (
        FlowLevel.team
    ),
    since: Annotated[
        str | None, typer.Option("--since", help="Only what occurred from this date on.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Only what occurred up to this date.")
    ] = None,
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    fmt: Annotated[
        FlowFormat,
        typer.Option(
            "--format",
            "-f",
            help="With --output: graphml, gexf, json (node-link) or png. Without: the summary "
            "as table, json (the whole report) or csv (the teams).",
        ),
    ] = FlowFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the graph to this file.")
    ] = None,
) -> None:
    """Knowledge flow: who learns from whom. Brokers, silos, or the graph as a file.

    Without --output: the brokers (people through whom knowledge passes between teams), each
    team's flow in, out and within, and the silos (teams whose flow rarely crosses their
    boundary). With --output: the person or team graph as GraphML, GEXF, JSON or a PNG drawing;
    persons are pseudonymous.

    Example (in the demo's folder, demo-output/):

        learningorg flow --store sqlite:///demo.db -o de-brug --as-of 2024-12-31
    """
    from learningorg.analysis.projections import flow_summary
    from learningorg.projections.knowledge_flow import exports

    window = {
        "since": None if since is None else parse_moment(since, "--since"),
        "until": None if until is None else parse_moment(until, "--until"),
        "as_of": _as_of(as_of),
    }
    known = _known_at(known_at)
    graph_formats = (FlowFormat.graphml, FlowFormat.gexf, FlowFormat.png, FlowFormat.json)
    if output is not None and fmt is FlowFormat.table:
        suffix = output.suffix.lstrip(".").lower()
        fmt = (
            FlowFormat(suffix) if suffix in {f.value for f in graph_formats} else FlowFormat.graphml
        )
    if output is not None and fmt not in graph_formats:
        raise UsageProblem(f"--output writes graphml, gexf, json or png, not {fmt.value}")
    if output is None and fmt in (FlowFormat.graphml, FlowFormat.gexf, FlowFormat.png):
        raise UsageProblem(f"--format {fmt.value} writes a file: add --output FILE")
    with _open(store) as records:
        key = _organisation(records, organisation)
        with _progress() as bar:
            task = bar.add_task("building the knowledge-flow graph", total=1)
            if output is not None:
                graph = records.knowledge_flow_graph(
                    key, level=level.value, known_at=known, **window
                )
            else:
                report = records.knowledge_flow_report(key, known_at=known, **window)
            bar.advance(task)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        writers: dict[FlowFormat, Callable[[Any, Path], object]] = {
            FlowFormat.graphml: exports.write_graphml,
            FlowFormat.gexf: exports.write_gexf,
            FlowFormat.json: exports.write_node_link,
            FlowFormat.png: lambda g, path: exports.draw_png(g, path),
        }
        writers[fmt](graph, output)
        typer.echo(
            f"wrote the {level.value} graph of {key} ({graph.number_of_nodes()} nodes, "
            f"{graph.number_of_edges()} edges) to {output}"
        )
        return
    if fmt is FlowFormat.json:
        _write_json(report)
        return
    summary = flow_summary(report)
    team_columns = ["team", "members", "within", "inflow", "outflow", "boundary_share",
                    "ei_index", "partner_teams"]  # fmt: skip
    if fmt is FlowFormat.csv:
        _emit(summary.teams, team_columns, Format.csv, "")
        return
    console = _console()
    size = report["size"]
    console.print(
        f"Knowledge flow in {key}: {size['persons']} people, {size['ties']} ties, "
        f"{size['team_links']} links between teams; share of flow crossing teams: "
        f"{_text(summary.cross_team_share)}, silo index (team modularity, -0.5..1): "
        f"{_text(summary.silo_index)}"
    )
    _emit(summary.teams, team_columns, Format.table, "Teams (least connected first)")
    _emit(
        summary.brokers,
        ["rank", "person", "team", "betweenness", "gives", "receives"],
        Format.table,
        "Brokers (pseudonymous; highest betweenness first)",
    )
    silos = ", ".join(summary.silos) if summary.silos else "none"
    console.print(f"Silos (less than 10% of their flow crosses the team boundary): {silos}")


@app.command()
def compliance(
    store: StoreOption = None,
    organisation: OrganisationOption = None,
    team: Annotated[
        str | None, typer.Option("--team", "-t", help="Only this team's members.")
    ] = None,
    person: Annotated[str | None, typer.Option("--person", help="Only this person.")] = None,
    status: Annotated[
        Status | None, typer.Option("--status", help="Only professionals with this status.")
    ] = None,
    flagged: Annotated[
        bool, typer.Option("--flagged", help="Only those flagged: period ends within 12 months.")
    ] = False,
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Re-registration compliance (SKJ): is every professional on track?

    Per professional, the current registration period: status (met, on_track, at_risk, short),
    achieved/required reflection hours, development points and work hours, and what is still
    needed. Flagged: the period ends within 12 months and the professional is not on track.

    Example (in the demo's folder, demo-output/):

        learningorg compliance --store sqlite:///demo.db -o de-brug --as-of 2024-12-31
    """
    from learningorg.analysis.projections import COMPLIANCE_COLUMNS, compliance_rows

    if team is not None and person is not None:
        raise UsageProblem("pass --team or --person, not both")
    with _open(store) as records:
        key = _organisation(records, organisation)
        level: Literal["person", "team", "organisation"] = (
            "team" if team else "person" if person else "organisation"
        )
        entity = team or person
        result = records.compliance(
            key, level, entity, as_of=_as_of(as_of), known_at=_known_at(known_at)
        )
    rows = [
        row
        for row in compliance_rows(result)
        if (status is None or row["status"] == status.value) and (row["flagged"] or not flagged)
    ]
    _emit(
        rows,
        list(COMPLIANCE_COLUMNS),
        fmt,
        f"SKJ compliance, {key} ({result.as_of:%Y-%m-%d})",
        wrap=["still_needed"],
    )
    if fmt is Format.table:
        counts = ", ".join(f"{n} {s}" for s, n in result.summary.counts.items())
        typer.echo(
            f"{result.summary.persons} professionals: {counts}; "
            f"{len(result.summary.flagged)} flagged"
        )


# ---------------------------------------------------------------- entry point

#: typer parses with its own copy of click: its usage-error class is the base of BadParameter.
_ClickUsageError: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)

_USAGE_ERRORS: tuple[type[BaseException], ...] = (
    InvalidInputError,
    NotFoundError,
    OrganisationScopeError,
    StoreURLError,
)


def _fail(message: str, code: int) -> NoReturn:
    first = " ".join(message.strip().split())
    sys.stderr.write(f"{PROG}: error: {first}\n")
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``learningorg`` command; returns (and, as a script, exits with) the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    arguments = [a for a in arguments if a != "--debug"]
    command: Any = typer.main.get_command(app)
    try:
        result = command.main(args=arguments, prog_name=PROG, standalone_mode=False)
    except _ClickUsageError as error:
        context: Any = getattr(error, "ctx", None)
        if type(error).__name__ == "NoArgsIsHelpError" and context is not None:
            typer.echo(context.get_help())
            return 0
        if debug:
            raise
        path = context.command_path if context is not None else PROG
        formatter: Any = getattr(error, "format_message", None)
        message = formatter() if callable(formatter) else str(error)
        _fail(f"{message} (see '{path} --help')", 2)
    except typer.Abort:
        _fail("aborted", 1)
    except UsageProblem as error:
        if debug:
            raise
        _fail(str(error), 2)
    except PartialFailure as error:
        if debug:
            raise
        _fail(str(error), 1)
    except _USAGE_ERRORS as error:
        if debug:
            raise
        _fail(str(error), 2)
    except LearningOrgError as error:
        if debug:
            raise
        _fail(str(error), 1)
    except OSError as error:
        if debug:
            raise
        _fail(str(error), 1)
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    # Run the module imported under its own name, so that commands defined further down this
    # file (appended after this block) are registered too: ``python -m learningorg.cli``.
    import importlib

    raise SystemExit(importlib.import_module("learningorg.cli").main())


# ---------------------------------------------------------------- more commands
# New commands may be appended below; the entry point above sees them.


# ---- erase (privacy; docs/privacy.md). Owned by the privacy work: keep this block together.


@app.command()
def erase(
    person: Annotated[str, typer.Argument(help="The person's external key (employee number).")],
    store: StoreOption = None,
    organisation: OrganisationOption = None,
    reason: Annotated[
        str,
        typer.Option("--reason", help="Why, recorded with the erasure (write no personal data)."),
    ] = "",
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Erase without asking (needed without a terminal).")
    ] = False,
) -> None:
    """Erase a person: destroy their data key and record the erasure (GDPR, cannot be undone).

    Their name, email, external key, identifiers and notes become unreadable for good, and copies
    of imported statements naming them are dropped. Counts they are part of (team and
    organisation capacity, compliance, the knowledge-flow graph) stay as they were, under their
    pseudonymous id. Erasing again changes nothing.

    Example (in the demo's folder, demo-output/):

        learningorg erase E3001 --store sqlite:///demo.db -o de-brug --yes
    """
    with _open(store) as records:
        key = _organisation(records, organisation)
        records.person(key, person)  # an unknown person is a usage error before any question
        if not yes:
            if not sys.stdin.isatty():
                msg = (
                    f"erasing {person!r} of {key!r} cannot be undone; pass --yes to confirm "
                    "(no terminal to ask on)"
                )
                raise UsageProblem(msg)
            typer.confirm(f"Erase {person!r} of {key!r}? This cannot be undone.", abort=True)
        outcome = records.erase_person(key, person, reason=reason)
    for warning in outcome.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if outcome.recorded:
        typer.echo(
            f"erased {person} of {key} at position {outcome.position}: their personal data "
            "can no longer be read"
        )
    else:
        typer.echo(f"{person} of {key} was already erased; nothing new was recorded")


# ---- (end of erase)
