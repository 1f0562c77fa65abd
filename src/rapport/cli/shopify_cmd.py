"""`rapport shopify ...`: sync the connected shop, show its sync status, run a fake shop to try it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from rapport.bootstrap import build
from rapport.cli.context import console, progress_bar, reported_errors, settings

shopify_app = typer.Typer(
    help="Connect a Shopify store: sync customers and orders, check the status.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the `shopify` command group to the main app."""
    app.add_typer(shopify_app, name="shopify")


@shopify_app.command("sync")
def sync(
    full: bool = typer.Option(False, "--full", help="Fetch every customer, not only those changed."),
    signals: Path | None = typer.Option(
        None, help="YAML file of subscription and loyalty signals (instead of the policy's `signals:`)."
    ),
) -> None:
    """Pull customers, orders and line items through a bulk operation (resumes an interrupted sync)."""
    from rapport.bootstrap import shopify_endpoint
    from rapport.services.shopify_sync import sync_shop

    with reported_errors():
        app = build(settings())
        shop = shopify_endpoint(app.settings).shop
        rules = app.signal_rules(signals)
        progress = progress_bar()
        with app.shopify_feed() as feed, progress:
            task = progress.add_task(f"syncing {shop}", total=None)
            report = sync_shop(
                app.uow_factory,
                feed,
                merchant=app.merchant,
                rules=rules,
                now=datetime.now(UTC),
                full=full,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
                policy=app.policy,
            )
        resumed = f" (resumed at line {report.resumed_from_line})" if report.resumed_from_line else ""
        console.print(
            f"{report.mode} sync done{resumed}: {report.customers} customers, {report.orders} orders, "
            f"{report.stale} stale records skipped"
        )


@shopify_app.command("status")
def status() -> None:
    """Last sync, counts, and the webhook backlog."""
    from rapport.services.shopify_sync import sync_status

    with reported_errors():
        app = build(settings())
        state, counts = sync_status(app.uow_factory, merchant=app.merchant)
        if state is None:
            console.print("never synced: run `rapport shopify sync`")
        else:
            console.print(
                f"last sync: {state.mode}, {state.status}, started {state.started_at}, "
                f"finished {state.finished_at or '-'}, watermark {state.watermark or '-'}"
            )
            if state.last_error:
                console.print(f"last error: {state.last_error}", markup=False)
        for name, value in counts.items():
            console.print(f"{name}: {value}")


@shopify_app.command("fake-server")
def fake_server(
    port: int = typer.Option(8765, help="Port on 127.0.0.1."),
    customers: int = typer.Option(50, help="How many fake customers the shop has."),
) -> None:
    """Run a fake Shopify Admin API on loopback (development only) to try `rapport shopify sync`."""
    from rapport.connectors.shopify.fake_data import build_shop
    from rapport.connectors.shopify.fake_server import FakeShopify, FakeShopifyServer

    server = FakeShopifyServer(FakeShopify(data=build_shop(customers=customers)), port=port)
    # Plain echo, not Rich: the export line must not be wrapped, so that it can be copied.
    typer.echo(f"fake shop on {server.admin_url} (Ctrl-C stops it); in another shell:")
    typer.echo(
        f"export RAPPORT_SHOPIFY_API_BASE_URL={server.admin_url} RAPPORT_SHOPIFY_ACCESS_TOKEN=shpat_fake "
        "RAPPORT_SHOPIFY_SHOP=fake.myshopify.com"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server.server_close()
