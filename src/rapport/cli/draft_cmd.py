"""`rapport draft`: triage a message and draft the reply; `rapport draft check FILE.jsonl`: run the
guardrails over drafts written elsewhere. `draft` is a group whose callback drafts when no
subcommand is given, so both spellings of the issue work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from rapport.drafting import check_jsonl
from rapport.schemas import DraftResponse, read_draft_check_line


def run_check(file: Path) -> int:
    """Print each violation as FILE:LINE: code: message; the exit code is 1 if anything failed."""
    failed = checked = 0
    for result in check_jsonl(file, read=read_draft_check_line):
        checked += 1
        if result.error is not None:
            failed += 1
            typer.echo(f"{file}:{result.line}: invalid record: {result.error}", err=True)
            continue
        assert result.report is not None
        if not result.report.passed:
            failed += 1
        for v in result.report.violations:
            typer.echo(f"{file}:{result.line}: {v.code}: {v.message}")
    typer.echo(f"{file}: {checked} drafts checked, {checked - failed} passed, {failed} failed")
    return 1 if failed else 0


def _run_draft(options: dict[str, Any], as_json: bool) -> None:
    # Imported here so `draft check` works without a store, a policy or an engine.
    from rapport.cli.context import console, reported_errors
    from rapport.cli.render import customer_card, decision_panel
    from rapport.cli.triage_cmd import run_triage
    from rapport.services.replies import draft_reply

    with reported_errors():
        app, result = run_triage(**options)
        draft = draft_reply(result, drafter=app.drafter, brand=app.brand)
    if as_json:
        body = DraftResponse.from_domain(result, draft).model_dump(mode="json")
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    from rich.panel import Panel
    from rich.text import Text

    console.print(customer_card(result.profile))
    console.print(decision_panel(result.decision))
    report = draft.guardrails
    status = "passed" if report is None or report.passed else "FAILED: " + ", ".join(report.codes())
    note = f" (fallback: {draft.fallback_reason})" if draft.fallback_reason else ""
    title = f"Draft by {draft.drafter}{note} - guardrails {status}"
    console.print(Panel(Text(f"Subject: {draft.subject}\n\n{draft.body_text}"), title=Text(title)))


def register(app: typer.Typer) -> None:
    """Add `rapport draft` and `rapport draft check` to the application."""
    draft_app = typer.Typer(help="Draft the reply to a message, or check drafts against the guardrails.")

    @draft_app.callback(invoke_without_command=True)
    def draft_command(
        ctx: typer.Context,
        email: str | None = typer.Option(None, "--email", help="The customer's e-mail address."),
        message: str | None = typer.Option(None, "--message", help="The customer's message."),
        order: str | None = typer.Option(None, "--order", help="The order the ticket is about, e.g. #1042."),
        intent: str | None = typer.Option(None, "--intent", help="Skip the classifier: the intent to use."),
        now: str | None = typer.Option(None, "--now", help="Decide as of this ISO 8601 time (default: now)."),
        policy: Path | None = typer.Option(None, "--policy", help="The policy file (default: rapport.yaml)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object: decision and draft."),
        record: bool = typer.Option(False, "--record", help="Store the ticket and its decision."),
    ) -> None:
        """Triage one message like `rapport triage`, then draft the reply and check it."""
        if ctx.invoked_subcommand is not None:
            return
        if not email or not message:
            typer.echo(
                "error: rapport draft needs --email and --message (or: rapport draft check FILE)", err=True
            )
            raise typer.Exit(2)
        options = {
            "email": email,
            "message": message,
            "order": order,
            "intent": intent,
            "now": now,
            "policy": policy,
            "record": record,
        }
        _run_draft(options, as_json)

    @draft_app.command("check")
    def check_command(
        file: Path = typer.Argument(..., help="JSONL of draft records (format: docs/drafting.md)."),
    ) -> None:
        """Run the guardrails over a JSONL of drafts; print each violation with its line (exit 1 if any)."""
        from rapport.domain.errors import RapportError

        try:
            code = run_check(file)
        except RapportError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(2) from None
        raise typer.Exit(code)

    app.add_typer(draft_app, name="draft")
