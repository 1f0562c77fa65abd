"""`rapport triage`: decide how one customer's message is handled. Its options are shared with `draft`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rapport.bootstrap import Rapport
from rapport.cli.context import application, console, parse_now, reported_errors
from rapport.cli.render import customer_card, decision_panel, triage_json
from rapport.services.triage import TriageRequest, TriageResult, triage

# The options of `triage`, reused verbatim by `draft` so both read a ticket the same way.
EmailOpt = Annotated[str, typer.Option("--email", help="The customer's e-mail address.")]
MessageOpt = Annotated[str, typer.Option("--message", help="The customer's message.")]
OrderOpt = Annotated[str | None, typer.Option("--order", help="The order the ticket is about, e.g. #1042.")]
IntentOpt = Annotated[str | None, typer.Option("--intent", help="Skip the classifier: the intent to use.")]
NowOpt = Annotated[str | None, typer.Option("--now", help="Decide as of this ISO 8601 time (default: now).")]
PolicyOpt = Annotated[Path | None, typer.Option("--policy", help="The policy file (default: rapport.yaml).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")]
RecordOpt = Annotated[
    bool,
    typer.Option("--record", help="Store the ticket and its decision (a preview stores nothing)."),
]


def run_triage(
    *,
    email: str,
    message: str,
    order: str | None,
    intent: str | None,
    now: str | None,
    policy: Path | None,
    record: bool = False,
) -> tuple[Rapport, TriageResult]:
    """Parse the shared options and triage the ticket against the configured store."""
    request = TriageRequest(email=email, message=message, now=parse_now(now), order_name=order, intent=intent)
    app = application(policy)
    result = triage(
        app.uow_factory,
        merchant=app.merchant,
        # The file given, else the policy in force for the merchant (as the API would decide).
        policy=app.policy if policy is not None else app.tenant(app.merchant.id).policy,
        classifier=app.classifier,
        request=request,
        record=record,
    )
    return app, result


def register(app: typer.Typer) -> None:
    """Add `rapport triage` to the application."""

    @app.command("triage")
    def triage_command(
        email: EmailOpt,
        message: MessageOpt,
        order: OrderOpt = None,
        intent: IntentOpt = None,
        now: NowOpt = None,
        policy: PolicyOpt = None,
        as_json: JsonOpt = False,
        record: RecordOpt = False,
    ) -> None:
        """Decide segment, queue, SLA, resolution, tone and follow-ups for one message, and say why."""
        with reported_errors():
            _, result = run_triage(
                email=email,
                message=message,
                order=order,
                intent=intent,
                now=now,
                policy=policy,
                record=record,
            )
        if as_json:
            typer.echo(json.dumps(triage_json(result)))
            return
        console.print(customer_card(result.profile))
        console.print(decision_panel(result.decision))
