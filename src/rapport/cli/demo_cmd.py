"""`rapport demo`: renders the showcase (the same problem for three customers, side by side), the desk's
past weeks, the showcase tickets resolved with the follow-ups they scheduled, the follow-ups sent and the
report written; with `--serve`, also sets up the desk on the demo store and serves the API and the
workspace over it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from fastapi import FastAPI
from rich.columns import Columns
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rapport.bootstrap import Rapport
from rapport.cli.context import console, progress_bar
from rapport.cli.render import describe_offer, money
from rapport.demo.after_reply import Delivery
from rapport.demo.desk import DemoDesk, backlog_messages, set_up_desk
from rapport.demo.history import CANDIDATE_POLICY, DEMO_POLICY, scheduled_lines, showcase_outbox
from rapport.demo.showcase import DAMAGED, DEMO_NOW, Showcase, demo_app, run_showcase
from rapport.demo.showcase_tickets import ResolvedTicket, ScheduledFollowUp
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
            outbox=showcase_outbox(),
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
        f"  RAPPORT_DATABASE_URL=sqlite:///{database} RAPPORT_POLICY_PATH={DEMO_POLICY} "
        f"rapport profile {SHOWCASE['vip']} --now {DEMO_NOW.isoformat()}",
        highlight=False,
        soft_wrap=True,  # one line, so that it can be copied and run as it is
    )
    _after_the_reply(showcase, database)


def _after_the_reply(showcase: Showcase, database: Path) -> None:
    """The desk's past weeks in the store: what was resolved, the follow-ups it scheduled, and the
    commands that send them, report on the outcomes and replay the history under another policy."""
    history = showcase.history
    if not history.resolved or history.first_at is None or history.last_at is None:
        return
    segments = Counter[str]()
    for (segment, _), count in history.tickets.items():
        segments[segment] += count
    per_segment = ", ".join(f"{name} {count}" for name, count in segments.most_common())
    console.print(
        f"\n[bold]After the reply[/]: the desk's last weeks ({history.first_at:%b %d} to "
        f"{history.last_at:%b %d}) are in the store — {history.resolved} tickets resolved ({per_segment}); "
        f"{history.late} answered after their first-response target, {history.granted} with a grant in "
        f"the ledger, {history.csat_answers} CSAT answers, {history.reorders} customers ordered again.",
        highlight=False,
    )
    console.print(
        f"Follow-ups their resolution scheduled: {sum(history.follow_ups.values())}", highlight=False
    )
    for line in scheduled_lines(history):
        console.print(f"  {line}", highlight=False)
    _showcase_at_the_desk(showcase)
    if showcase.delivery is not None:
        _sent(showcase.delivery, showcase.resolved)
    if showcase.report is not None:
        console.print(
            f"\n[bold]Report[/] with charts, as of {DEMO_NOW:%b %d %H:%M} UTC: {showcase.report}",
            highlight=False,
            soft_wrap=True,  # the path stays whole, to be opened as printed
        )
    outbox = showcase_outbox()
    console.print("\nNext, in this directory, on the demo store:", highlight=False)
    for line in (
        f"export RAPPORT_DATABASE_URL=sqlite:///{database} RAPPORT_POLICY_PATH={DEMO_POLICY}",
        f"rapport worker --until-idle      # on the real clock: sends those due by now, into {outbox}/ "
        "(RAPPORT_OUTBOX_DIR)",
        "rapport follow-ups list          # where each follow-up stands",
        "rapport report --html report.html   # the report again, as of now",
        f"rapport simulate --policy {CANDIDATE_POLICY} --from-store --since {history.first_at:%Y-%m-%d}",
    ):
        typer.echo(f"  {line}")


def _showcase_at_the_desk(showcase: Showcase) -> None:
    """Each showcase ticket as the desk left it, and the follow-ups its resolution scheduled."""
    if not showcase.resolved:
        return
    console.print(
        "\n[bold]The showcase at the desk[/]: its tickets, taken in, answered with the decision's offer "
        "and resolved by the demo's staff; the follow-ups each resolution scheduled (due in the "
        "customer's time zone):",
        highlight=False,
    )
    for done in showcase.resolved:
        ticket = done.view.ticket
        if not done.resolved or ticket.resolved_at is None:
            console.print(
                f"  {done.label}, {done.email}: ticket {ticket.id} waits in queue {ticket.queue} "
                f"for a {ticket.claim_level.value}",
                highlight=False,
                soft_wrap=True,
            )
            continue
        console.print(
            f"  {done.label}, {done.email} ({ticket.segment}): ticket {ticket.id} resolved by "
            f"{done.handler} at {ticket.resolved_at:%b %d %H:%M} UTC",
            highlight=False,
            soft_wrap=True,  # a listing: one line per ticket and per follow-up, whatever the terminal
        )
        for follow_up in done.follow_ups:
            console.print(f"    {_describe(follow_up, ticket.resolved_at)}", highlight=False, soft_wrap=True)
    stored = {done.label for done in showcase.resolved}
    for extra, _ in showcase.more:
        if extra.title not in stored:
            console.print(
                f"  {extra.title} ({extra.email}): a preview, not stored — a new message from a "
                "customer cancels their pending follow-ups, and this customer's are listed above",
                highlight=False,
            )


def _describe(follow_up: ScheduledFollowUp, resolved_at: datetime) -> str:
    """E.g. 'personal check in from a senior, due Sat Nov 21 11:50 UTC (1 day after the resolution)'."""
    sender = follow_up.sender
    article = "an" if sender[:1] in "aeiou" else "a"
    anchor = follow_up.entry.anchor
    when = (
        f"{span_words(follow_up.due_at - resolved_at)} after the resolution"
        if anchor == "resolution"
        else f"counted from the {anchor.replace('_', ' ')}"
    )
    return (
        f"{follow_up.kind.replace('_', ' ')} from {article} {sender}, due "
        f"{follow_up.due_local:%a %b %d %H:%M %Z} ({when})"
    )


def span_words(span: timedelta) -> str:
    """'1 day', '7 days'; with hours, '2 d 3 h'; under a day, '5 h 30 min'."""
    days, hours = span.days, span.seconds // 3600
    if days and not hours:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{days} d {hours} h" if days else f"{hours} h {span.seconds % 3600 // 60} min"


def _sent(delivery: Delivery, resolved: list[ResolvedTicket]) -> None:
    """How many follow-ups the run sent and where; when the showcase's go out."""
    run = delivery.run
    console.print(
        f"\n[bold]Sent[/] what was due at {DEMO_NOW:%b %d %H:%M} UTC (the demo's clock), with the job "
        f"`rapport worker --until-idle` runs: sent {run.sent} follow-ups into {delivery.outbox}/"
        + (f" (e.g. {delivery.files[0]})" if delivery.files else "")
        + (f"; {run.retrying} to retry, {run.dead} dead" if run.retrying or run.dead else ""),
        highlight=False,
        soft_wrap=True,  # the file's path stays whole, to be opened as printed
    )
    for error in run.errors[:5]:
        console.print(f"  {error}", style="yellow", markup=False)
    showcase = sorted(f.due_at for done in resolved for f in done.follow_ups)
    if showcase:
        console.print(
            f"Still scheduled: {delivery.still_scheduled}, the showcase's {len(showcase)} among them: they "
            f"fall due from {showcase[0]:%b %d %H:%M} to {showcase[-1]:%b %d %H:%M} UTC, and the worker "
            "sends each once its time has come.",
            highlight=False,
        )


def serve_demo_desk(*, customers: int, seed: int, database: Path, host: str, port: int) -> None:
    """Set up the desk on the demo store just built, print how to get in, then serve until stopped."""
    import uvicorn

    app = demo_app(database)
    with progress_bar() as progress:
        progress.add_task("opening the desk: people, a key, this morning's tickets", total=None)
        desk = set_up_desk(
            app, now=datetime.now(UTC), seed=seed, customers=customers, messages=backlog_messages()
        )
    print_desk(desk, base=f"http://{host}:{port}")
    uvicorn.run(workspace_app(app), host=host, port=port)


def workspace_app(app: Rapport) -> FastAPI:
    """The API with the workspace pages mounted (once: `create_app` may already mount them)."""
    from rapport.api import create_app
    from rapport.web import web_router

    api = create_app(app)
    if not any(getattr(route, "path", "") == "/login" for route in api.routes):
        api.include_router(web_router(app, clock=lambda: datetime.now(UTC)))
    return api


def print_desk(desk: DemoDesk, *, base: str) -> None:
    """Who can log in (passwords shown this once), the machine key, the queues, and curl lines to try."""
    counts = desk.queue_counts()
    queues = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    console.print(f"\n[bold]The desk[/]: {sum(counts.values())} unresolved tickets ({queues})")
    people = Table(title=f"Workspace: {base}/login — merchant {desk.merchant} (passwords shown only now)")
    for column in ("role", "e-mail", "password"):
        people.add_column(column)
    for person in desk.people:
        people.add_row(person.role.value, person.email, person.password)
    console.print(people)
    shown = [(t.label, t) for t in desk.showcase[:3]]
    if desk.escalated is not None:
        shown.append(("escalated to seniors", desk.escalated))
    for label, ticket in shown:
        console.print(
            f"  ticket {ticket.ticket_id}: {label}, {ticket.email} — queue {ticket.queue}", highlight=False
        )
    if desk.cancelled_follow_ups:
        console.print(
            f"  (their new messages cancelled the {desk.cancelled_follow_ups} follow-ups still scheduled "
            "for them: a customer writing again cancels what was pending)",
            highlight=False,
        )
    console.print("\nMachine API key (shown only now):", highlight=False)
    typer.echo(f"  {desk.machine_key}")
    auth = f'-H "Authorization: Bearer {desk.machine_key}"'
    console.print("\nTry the API:", highlight=False)
    for line in (
        f"curl -s {auth} {base}/v1/me",
        f"curl -s {auth} {base}/v1/queues",
        f"curl -s {auth} '{base}/v1/queues/priority/tickets?limit=5'",
        f"curl -s {auth} -H 'Content-Type: application/json' -X POST {base}/v1/tickets "
        """-d '{"email": "new.buyer@example.net", "body": "My mug arrived broken."}'""",
    ):
        typer.echo(f"  {line}")
    console.print(
        f"\nServing on {base} (Ctrl-C stops it; the tickets stay in the demo store).", highlight=False
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
