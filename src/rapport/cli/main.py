"""The `rapport` command: each command is a few lines that call services."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from rapport.cli import (
    access_cmd,
    draft_cmd,
    follow_ups_cmd,
    merchant_cmd,
    model_cmd,
    report_cmd,
    segments_cmd,
    shopify_cmd,
    simulate_cmd,
    synth_cmd,
    triage_cmd,
    worker_cmd,
)
from rapport.cli.context import application, console, parse_now, reported_errors, settings
from rapport.cli.render import customer_card as render_card
from rapport.policy.loading import load_policy_with_warnings
from rapport.schemas import CustomerOut
from rapport.services.customers import customer_card
from rapport.services.setup import initialize

app = typer.Typer(
    help="Rapport: personalized ecommerce customer support.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
policy_app = typer.Typer(help="Check and inspect merchant policy files.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@app.command()
def init() -> None:
    """Create (or migrate) the database and write the default rapport.yaml if absent."""
    with reported_errors():
        cfg = settings()
        app_ = application()
        done = initialize(
            app_.uow_factory, merchant=cfg.merchant, policy_path=cfg.policy_path, shop_domain=cfg.shopify_shop
        )
        console.print(f"database ready: {cfg.database_url}")
        if done.policy_written:
            console.print(
                f"policy written: {cfg.policy_path} (edit it, then `rapport policy check {cfg.policy_path}`)"
            )
        else:
            console.print(f"policy kept: {cfg.policy_path} (already exists)")


@policy_app.command("check")
def policy_check(file: Path) -> None:
    """Validate a policy file; errors are printed as FILE:LINE: path.to.field: what is wrong (exit 2).

    Warnings (offers the limits can never allow) go to stderr as FILE:LINE: field: warning: ... and
    keep exit 0: the policy is valid, it just promises what it will not give."""
    with reported_errors():
        policy, warnings = load_policy_with_warnings(file)
        for warning in warnings:
            # Plain lines, never wrapped: editors and scripts parse FILE:LINE.
            typer.echo(f"{warning.file}:{warning.line}: {warning.path}: warning: {warning.message}", err=True)
        noted = f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""
        console.print(
            f"{file}: ok — {len(policy.segments)} segments, {len(policy.queues)} queues, "
            f"{len(policy.resolutions)} intents with resolution rules{noted}"
        )


@app.command()
def profile(
    email: str,
    now: str | None = typer.Option(None, help="Compute the profile as of this ISO 8601 time."),
    as_json: bool = typer.Option(False, "--json", help="Print the profile as one JSON object."),
) -> None:
    """Show the customer card: what Rapport knows before answering."""
    with reported_errors():
        at = parse_now(now)
        app_ = application()
        card = customer_card(app_.uow_factory, merchant=app_.merchant, email=email, now=at)
    if as_json:
        typer.echo(json.dumps(CustomerOut.from_domain(card).model_dump(mode="json", by_alias=True)))
    else:
        console.print(render_card(card))


@app.command("import")
def import_(
    source: str = typer.Argument(..., help="A JSONL file, or shopify-customers / shopify-orders."),
    file: Path | None = typer.Argument(None, help="The CSV file, with shopify-customers / shopify-orders."),
) -> None:
    """Load customers, orders, subscriptions and contacts (idempotent; bad lines reported, the rest kept)."""
    from rapport.cli.import_cmd import run_import

    with reported_errors():
        code = run_import(source, file)
    raise typer.Exit(code)


@app.command()
def demo(
    customers: int = typer.Option(3000, help="How many synthetic customers to generate."),
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same store."),
    database: Path = typer.Option(Path("demo.db"), help="The SQLite file to (re)create for the demo."),
    serve: bool = typer.Option(
        False, "--serve", help="Then open the desk on the demo store and serve the API and the workspace."
    ),
    host: str = typer.Option("127.0.0.1", help="With --serve: the interface to listen on."),
    port: int = typer.Option(8000, help="With --serve: the port to listen on."),
) -> None:
    """Build a realistic synthetic store and show how the same problem is handled for different customers.

    With --serve: add a demo admin, agent and senior (passwords printed once), a machine key and open
    tickets across the queues, then serve the API and the workspace over the demo store."""
    from rapport.cli.demo_cmd import run_demo, serve_demo_desk

    with reported_errors():
        run_demo(customers=customers, seed=seed, database=database)
        if serve:
            serve_demo_desk(customers=customers, seed=seed, database=database, host=host, port=port)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (the API is stateless; scale freely)."),
) -> None:
    """Run the HTTP API (ticket triage and drafts, customer cards, Shopify webhooks)."""
    import uvicorn

    with reported_errors():
        # Fail here, in one line, on a missing or invalid policy: not as a traceback in every worker.
        _ = application().policy

    uvicorn.run("rapport.api:app_from_environment", factory=True, host=host, port=port, workers=workers)


triage_cmd.register(app)
model_cmd.register(app)
draft_cmd.register(app)
shopify_cmd.register(app)
merchant_cmd.register(app)
access_cmd.register(app)
simulate_cmd.register(app)
report_cmd.register(app)
worker_cmd.register(app)
follow_ups_cmd.register(app)
segments_cmd.register(app)
app.command("synth")(synth_cmd.synth)
__all__ = ["app"]
