"""`rapport demo`: a synthetic store, then the same problem handled for different people, side by side."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.columns import Columns
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from rapport.cli.render import describe_offer
from rapport.demo.synthetic import SHOWCASE, StoreGenerator
from rapport.domain.serialize import money
from rapport.policy import Policy, default_policy_text, parse_policy
from rapport.services.importing import import_jsonl
from rapport.services.replies import draft_reply
from rapport.services.triage import TriageResult, triage
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import UnitOfWork

DEMO_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the store is generated relative to this moment
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


def run_demo(*, console: Console, customers: int, seed: int, database: Path) -> None:
    """Generate and import the store, then triage the showcase tickets and print them."""
    database.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    sessions = session_factory(engine)

    def factory() -> UnitOfWork:
        return UnitOfWork(sessions)

    started = time.perf_counter()
    records = _build_store(console, factory, customers=customers, seed=seed)
    console.print(
        f"[bold]Store ready[/]: {records:,} records for {customers + len(SHOWCASE):,} customers "
        f"in {time.perf_counter() - started:.1f}s ({database})\n"
    )
    policy = parse_policy(default_policy_text(), "<default policy>")
    _same_problem(console, factory, policy)
    for ticket in MORE_TICKETS:
        result = _triage(factory, policy, ticket.email, ticket.message)
        console.print(f"\n[bold]{ticket.title}[/] — {ticket.email}: “{ticket.message}”")
        _print_explanation(console, result)
    console.print(f"\nDemo finished in {time.perf_counter() - started:.1f}s. Explore it with, e.g.:")
    console.print(
        f"  RAPPORT_DATABASE_URL=sqlite:///{database} "
        f"rapport profile {SHOWCASE['vip']} --now {DEMO_NOW.isoformat()}"
    )


def _build_store(console: Console, factory: Callable[[], UnitOfWork], *, customers: int, seed: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.jsonl"
        records = StoreGenerator(seed=seed, now=DEMO_NOW).write(path, customers)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("importing the synthetic store", total=path.stat().st_size)
            report = import_jsonl(
                factory,
                path=path,
                merchant="default",
                progress=lambda done: progress.update(task, completed=done),
            )
    if report.errors:
        raise RuntimeError(f"the synthetic store has invalid records: {report.errors[:3]}")
    return records


def _triage(factory: Callable[[], UnitOfWork], policy: Policy, email: str, message: str) -> TriageResult:
    return triage(factory, merchant="default", email=email, message=message, now=DEMO_NOW, policy=policy)


def _same_problem(console: Console, factory: Callable[[], UnitOfWork], policy: Policy) -> None:
    people = [
        ("VIP", SHOWCASE["vip"]),
        ("Subscriber", SHOWCASE["subscriber"]),
        ("First-time buyer", SHOWCASE["first_time"]),
    ]
    results = [(label, _triage(factory, policy, email, DAMAGED)) for label, email in people]
    table = Table(title=f"The same message, three customers: “{DAMAGED}”", show_lines=True)
    table.add_column("")
    for label, result in results:
        p = result.profile
        table.add_column(
            f"{label}\n{p.first_name} {p.last_name}: "
            f"{p.orders_count} orders, {money(p.total_spent)} {p.currency}"
        )
    rows: list[tuple[str, Callable[[TriageResult], str]]] = [
        ("Segment", lambda r: r.decision.segment),
        (
            "Queue / first response",
            lambda r: f"{r.decision.queue}, by {r.decision.first_response_due:%b %d %H:%M}",
        ),
        ("Priority / escalation", lambda r: f"{r.decision.priority} / {r.decision.escalation_level.value}"),
        ("Order", lambda r: r.ticket.order.name if r.ticket.order else "-"),
        ("Resolution", lambda r: describe_offer(r.decision.resolution)),
        ("Tone", lambda r: r.decision.tone.style),
        (
            "Follow-ups",
            lambda r: "\n".join(f"{f.kind} ({f.sender}) {f.due_at:%b %d}" for f in r.decision.follow_ups),
        ),
    ]
    for name, cell in rows:
        table.add_row(name, *(cell(result) for _, result in results))
    console.print(table)
    for label, result in results:
        console.print(f"\n[bold]Why, for the {label.lower()}[/] ({result.profile.email}):")
        _print_explanation(console, result)
    console.print("\n[bold]The replies they get[/] (template drafts, checked by the guardrails):")
    console.print(Columns([_reply_panel(label, result) for label, result in results], equal=True))


def _reply_panel(label: str, result: TriageResult) -> Panel:
    draft = draft_reply(result)
    passed = draft.guardrails is None or draft.guardrails.passed
    title = f"{label}: guardrails {'passed' if passed else 'FAILED'}"
    return Panel(Text(f"Subject: {draft.subject}\n\n{draft.body_text}"), title=title)


def _print_explanation(console: Console, result: TriageResult) -> None:
    for line in result.decision.explanation:
        console.print(f"  - {line}", markup=False, highlight=False)
