"""`rapport demo`: renders the showcase (the same problem for three customers, side by side)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.columns import Columns
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rapport.cli.context import console, progress_bar
from rapport.cli.render import describe_offer, money
from rapport.demo.showcase import DAMAGED, DEMO_NOW, Showcase, run_showcase
from rapport.demo.synthetic import SHOWCASE
from rapport.drafting import Draft
from rapport.services.triage import TriageResult


def run_demo(*, customers: int, seed: int, database: Path) -> None:
    """Build the demo store, triage the showcase tickets and print them."""
    with progress_bar() as progress:
        task = progress.add_task("importing the synthetic store", total=None)
        showcase = run_showcase(
            customers=customers,
            seed=seed,
            database=database,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    console.print(
        f"[bold]Store ready[/]: {showcase.records:,} records for {showcase.customers:,} customers "
        f"in {showcase.build_seconds:.1f}s ({database})\n"
    )
    _same_problem(showcase)
    for ticket, result in showcase.more:
        console.print(f"\n[bold]{ticket.title}[/] — {ticket.email}: “{ticket.message}”")
        _print_explanation(result)
    console.print("\nExplore it with, e.g.:")
    console.print(
        f"  RAPPORT_DATABASE_URL=sqlite:///{database} "
        f"rapport profile {SHOWCASE['vip']} --now {DEMO_NOW.isoformat()}"
    )


def _same_problem(showcase: Showcase) -> None:
    table = Table(title=f"The same message, three customers: “{DAMAGED}”", show_lines=True)
    table.add_column("")
    for label, result, _ in showcase.same_problem:
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
        table.add_row(name, *(cell(result) for _, result, _ in showcase.same_problem))
    console.print(table)
    for label, result, _ in showcase.same_problem:
        console.print(f"\n[bold]Why, for the {label.lower()}[/] ({result.profile.email}):")
        _print_explanation(result)
    console.print("\n[bold]The replies they get[/] (template drafts, checked by the guardrails):")
    panels = [_reply_panel(label, draft) for label, _, draft in showcase.same_problem]
    console.print(Columns(panels, equal=True))


def _reply_panel(label: str, draft: Draft) -> Panel:
    passed = draft.guardrails is None or draft.guardrails.passed
    title = f"{label}: guardrails {'passed' if passed else 'FAILED'}"
    return Panel(Text(f"Subject: {draft.subject}\n\n{draft.body_text}"), title=title)


def _print_explanation(result: TriageResult) -> None:
    for line in result.decision.explanation:
        console.print(f"  - {line}", markup=False, highlight=False)
