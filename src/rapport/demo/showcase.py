"""The demo: a synthetic store, the same problem handled for different people, the desk's past weeks,
then the showcase's tickets resolved at the desk, the due follow-ups sent and the outcome report
written (plain results; `rapport demo` renders them)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapport.bootstrap import Rapport, build
from rapport.config import Settings
from rapport.demo.after_reply import Delivery, send_due, write_report
from rapport.demo.history import (
    MAX_TICKETS,
    WEEKS,
    History,
    HistoryCustomer,
    build_history,
    customers_of,
    desk_staff,
)
from rapport.demo.showcase_tickets import ResolvedTicket, handle_showcase
from rapport.demo.synthetic import SHOWCASE, StoreGenerator
from rapport.drafting import Draft
from rapport.policy import default_policy
from rapport.services.importing import import_jsonl
from rapport.services.replies import draft_reply
from rapport.services.triage import TriageRequest, TriageResult, triage

DEMO_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the store is generated relative to this moment
# The showcase's messages came in this long before: by DEMO_NOW the desk has resolved them.
SHOWCASE_ARRIVED = DEMO_NOW - timedelta(minutes=45)
DAMAGED = "Hi, my order just arrived and two of the bowls are cracked. Really disappointed."


@dataclass(frozen=True)
class ShowcaseTicket:
    title: str
    email: str
    message: str


MORE_TICKETS = (
    ShowcaseTicket(
        "A frequent claimant whose 90-day budget is spent",
        SHOWCASE["claims"],
        "The skillet arrived damaged, the handle is cracked. I want my money back.",
    ),
    ShowcaseTicket(
        "An angry late delivery with a chargeback threat",
        SHOWCASE["first_time"],
        "WHERE IS MY ORDER?? It's been two weeks. "
        "If it isn't here by Friday I'll dispute the charge with my bank!",
    ),
    ShowcaseTicket(
        "Someone the store has never seen",
        "new.person@example.net",
        "Hello, can I return a mug I received as a gift?",
    ),
)


SAME_PROBLEM = (("VIP", "vip"), ("Subscriber", "subscriber"), ("First-time buyer", "first_time"))


@dataclass(frozen=True)
class Showcase:
    """What the demo did: the store it built, and each showcase ticket's triage (and reply)."""

    database: Path
    records: int
    customers: int
    build_seconds: float
    same_problem: list[tuple[str, TriageResult, Draft]] = field(default_factory=list)
    more: list[tuple[ShowcaseTicket, TriageResult]] = field(default_factory=list)
    history: History = field(default_factory=History)  # the desk's past weeks (`demo.history`)
    history_seconds: float = 0.0
    resolved: list[ResolvedTicket] = field(default_factory=list)  # the showcase's, at the desk
    delivery: Delivery | None = None  # the follow-ups due at DEMO_NOW, sent
    report: Path | None = None  # the HTML outcome report, as of DEMO_NOW


def demo_app(database: Path) -> Rapport:
    """The application on the demo's own SQLite file, with the packaged default policy."""
    settings = Settings(database_url=f"sqlite:///{database}", _env_file=None)  # type: ignore[call-arg]
    return build(settings, policy=default_policy(), create_merchant=True)


def at_the_desk() -> list[tuple[str, str, str]]:
    """(label, e-mail, message) of the showcase tickets the desk takes in and resolves: the damaged bowls
    of the three customers, and the other tickets of customers not among them. The first-time buyer's
    second message stays a preview: a new message from a customer cancels her pending follow-ups."""
    bowls = [(label, SHOWCASE[key], DAMAGED) for label, key in SAME_PROBLEM]
    taken = {email for _, email, _ in bowls}
    return bowls + [(t.title, t.email, t.message) for t in MORE_TICKETS if t.email not in taken]


def run_showcase(
    *,
    customers: int,
    seed: int,
    database: Path,
    outbox: Path,
    report: Path | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> Showcase:
    """Generate and import the store (`progress(bytes done, bytes in all)`), triage the showcases, write
    the history, resolve the showcase tickets at the desk, send the follow-ups due at DEMO_NOW into
    `outbox` and write the HTML report to `report` (by default `<database>-report.html` beside it)."""
    database.unlink(missing_ok=True)
    app = demo_app(database)
    started = time.perf_counter()
    records, past = _build_store(app, customers=customers, seed=seed, progress=progress)
    showcase = Showcase(
        database=database,
        records=records,
        customers=customers + len(SHOWCASE),
        build_seconds=time.perf_counter() - started,
    )
    for label, key in SAME_PROBLEM:
        result = _triage(app, SHOWCASE[key], DAMAGED, SHOWCASE_ARRIVED)
        showcase.same_problem.append(
            (label, result, draft_reply(result, drafter=app.drafter, brand=app.brand))
        )
    for ticket in MORE_TICKETS:
        showcase.more.append((ticket, _triage(app, ticket.email, ticket.message, SHOWCASE_ARRIVED)))
    # After the showcase's triage, and for other customers: the showcase reads as it always did.
    started = time.perf_counter()
    staff = desk_staff(app, DEMO_NOW - timedelta(weeks=WEEKS + 1))
    history = build_history(app, past, seed=seed, now=DEMO_NOW, staff=staff)
    history_seconds = time.perf_counter() - started
    resolved = handle_showcase(app, staff, at_the_desk(), arrived=SHOWCASE_ARRIVED)
    delivery = send_due(app, outbox=outbox, now=DEMO_NOW)
    path = write_report(app, path=report or _report_path(database), now=DEMO_NOW)
    return replace(
        showcase,
        history=history,
        history_seconds=history_seconds,
        resolved=resolved,
        delivery=delivery,
        report=path,
    )


def _report_path(database: Path) -> Path:
    return database.with_name(f"{database.stem}-report.html")


def _build_store(
    app: Rapport, *, customers: int, seed: int, progress: Callable[[int, int], object] | None
) -> tuple[int, list[HistoryCustomer]]:
    """Import the generated store; how many records, and the customers the history may write for."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.jsonl"
        records = StoreGenerator(seed=seed, now=DEMO_NOW).write(path, customers)
        total = path.stat().st_size
        report = import_jsonl(
            app.uow_factory,
            path=path,
            merchant=app.merchant.slug,
            progress=None if progress is None else (lambda done: progress(done, total)),
        )
        past = customers_of(path, limit=MAX_TICKETS)
    if report.errors:
        raise RuntimeError(f"the synthetic store has invalid records: {report.errors[:3]}")
    return records, past


def _triage(app: Rapport, email: str, message: str, now: datetime) -> TriageResult:
    request = TriageRequest(email=email, message=message, now=now)
    return triage(
        app.uow_factory, merchant=app.merchant, policy=app.policy, classifier=app.classifier, request=request
    )
