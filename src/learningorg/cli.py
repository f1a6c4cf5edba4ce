"""The ``learningorg`` command: record, replay, inspect and export learning histories (cli layer).

Exit codes: 0 ok, 1 partial failure (some statements invalid, the store failed midway),
2 usage error (a bad option value, a missing file, an unknown organisation, a bad store URL).
Errors are one line on stderr; ``--debug`` (anywhere on the line) shows the traceback instead.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

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


@contextmanager
def _open(store: str | None, **kwargs: Any) -> Iterator[LearningRecords]:
    with LearningRecords(store, **kwargs) as records:
        yield records


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


def _emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: Format, title: str) -> None:
    """Print rows as a rich table, a JSON array or CSV with a header."""
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
        table.add_column(column, no_wrap=True)
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

    Example: learningorg init --store sqlite:///learningorg.db
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
    organisation: Annotated[
        str | None, typer.Option("--organisation", "-o", help="Only this organisation.")
    ] = None,
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

    Example: learningorg history --store sqlite:///demo-out/demo.db --type IntervisionHeld --limit 5
    """
    from learningorg.analysis import history_rows

    moment = _as_of(as_of)
    known = _known_at(known_at)
    topics = _topics(types or [])
    with _open(store) as records:
        if organisation is not None and organisation not in records.organisations():
            msg = f"organisation {organisation!r} is not registered in {records.config.display_url}"
            raise UsageProblem(msg)
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
    ] = Path("demo-out"),
    scale: Annotated[
        float,
        typer.Option("--scale", min=0.1, max=3.0, help="Team size factor (1.0: 6-12 per team)."),
    ] = 1.0,
) -> None:
    """Record two years of four synthetic youth-care organisations, replay them, report.

    Writes a fresh SQLite store (demo.db), report.html and history.parquet into --out.

    Example: learningorg demo --seed 2024 --out demo-out
    """
    from learningorg.demo import run_demo

    console = _console()
    console.print(f"[bold]learningorg demo[/bold]: seed {seed}, writing to {out}/")
    with _progress() as bar:
        tasks: dict[str, Any] = {}
        labels = {"record": "recording the history", "replay": "replaying the history"}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        summary = run_demo(out, seed=seed, scale=scale, progress=update)
    organisations = Table(title=f"Organisations ({summary.events} events)")
    for column in ("organisation", "teams", "professionals", "events", "late records",
                   "retractions"):  # fmt: skip
        organisations.add_column(column, justify="left" if column == "organisation" else "right")
    for o in summary.organisations:
        organisations.add_row(o.name, str(o.teams), str(o.professionals), str(o.events),
                              str(o.late_records), str(o.retractions))  # fmt: skip
    console.print(organisations)
    teams = Table(title="Team learning (raw counts; the capacity projection adds scores)")
    for column in ("organisation", "team", "members", "intervisions", "last 12 months",
                   "consultations", "experiments", "evaluated"):  # fmt: skip
        teams.add_column(column, justify="left" if column in ("organisation", "team") else "right")
    ranked = sorted(
        summary.teams, key=lambda t: (-t.intervisions_last_year, t.organisation, t.team)
    )
    for t in ranked:
        teams.add_row(t.organisation, t.name, str(t.members_at_end), str(t.intervisions),
                      str(t.intervisions_last_year), str(t.case_consultations),
                      str(t.experiments_started), str(t.experiments_evaluated))  # fmt: skip
    console.print(teams)
    for label, path in summary.files.items():
        console.print(f"{label}: {path}")


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

    Example: learningorg validate statements.ndjson
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
        _emit(problems, ["where", "path", "rule", "message"], fmt, "Problems")
    message = f"{checked} statements checked, {checked - bad} valid, {bad} invalid"
    typer.echo(message, err=True)
    if bad:
        raise PartialFailure(f"{bad} of {checked} statements are invalid")


@app.command()
def export(
    output: Annotated[Path, typer.Option("--output", help="File to write.")],
    store: StoreOption = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="parquet or csv (one row per event).")
    ] = ExportFormat.parquet,
    organisation: Annotated[
        str | None, typer.Option("--organisation", "-o", help="Only this organisation.")
    ] = None,
    since: Annotated[
        int | None, typer.Option("--since", min=0, help="Only events after this position.")
    ] = None,
    until: Annotated[
        int | None, typer.Option("--until", min=0, help="Only events up to this position.")
    ] = None,
) -> None:
    """Export the event history, pseudonymised, one row per event (Parquet or CSV).

    Example: learningorg export --store sqlite:///demo-out/demo.db --format csv --output history.csv
    """
    from learningorg.analysis import history_frame, write_parquet

    with _open(store) as records:
        if organisation is not None and organisation not in records.organisations():
            msg = f"organisation {organisation!r} is not registered in {records.config.display_url}"
            raise UsageProblem(msg)
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
        write_parquet(frame, output)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(output, index=False, date_format="%Y-%m-%dT%H:%M:%S%z")
    typer.echo(f"wrote {len(frame)} events to {output}")


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
    raise SystemExit(main())
