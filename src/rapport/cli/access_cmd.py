"""`rapport key ...` and `rapport user ...`: API keys (shown once, stored hashed) and the people of a
merchant (passwords read from standard input, stored with argon2id)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import typer

from rapport.cli.context import EXIT_INPUT, application, reported_errors

key_app = typer.Typer(help="Create, list and revoke a merchant's API keys.", no_args_is_help=True)
user_app = typer.Typer(help="Add and list the people of a merchant.", no_args_is_help=True)

MERCHANT = typer.Option(..., "--merchant", help="The merchant's name (`rapport merchant list`).")


def register(app: typer.Typer) -> None:
    """Add the `key` and `user` command groups to the main app."""
    app.add_typer(key_app, name="key")
    app.add_typer(user_app, name="user")


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@key_app.command("create")
def create(
    merchant: str = MERCHANT,
    user: str | None = typer.Option(
        None, "--user", help="A user's e-mail: the key then acts as that person, with their role."
    ),
    label: str | None = typer.Option(None, "--label", help="What the key is for (shown in `key list`)."),
) -> None:
    """Print a new API key on stdout (only once: the store keeps only its hash); a note goes to stderr."""
    from rapport.services.access import create_key

    with reported_errors():
        created = create_key(
            application().uow_factory, merchant=merchant, user_email=user, label=label, now=datetime.now(UTC)
        )
    typer.echo(created.secret)
    who = f"acting as {created.key.user_email}" if created.key.user_email else "a machine key (agent role)"
    typer.echo(
        f"key {created.key.prefix} for merchant {merchant}, {who}: this is the only time it is shown; "
        "send it as `Authorization: Bearer KEY`",
        err=True,
    )


@key_app.command("revoke")
def revoke(
    prefix: str = typer.Argument(..., help="The key's prefix, as `key list` shows it (rk_ab12cd34)."),
    merchant: str = MERCHANT,
) -> None:
    """Revoke a key: every request with it is refused from now on (exit 2 if the merchant has no such
    live key)."""
    from rapport.services.access import revoke_key

    with reported_errors():
        revoke_key(application().uow_factory, merchant=merchant, prefix=prefix, now=datetime.now(UTC))
    typer.echo(f"key {prefix} revoked")


@key_app.command("list")
def list_keys_(merchant: str = MERCHANT) -> None:
    """Print the merchant's keys: prefix, user (or machine), label, created, revoked (tab-separated)."""
    from rapport.services.access import list_keys

    with reported_errors():
        keys = list_keys(application().uow_factory, merchant=merchant)
    for key in keys:
        owner = key.user_email or "machine"
        typer.echo(
            f"{key.prefix}\t{owner}\t{key.label or '-'}\t{_when(key.created_at)}\t"
            f"{'revoked ' + _when(key.revoked_at) if key.revoked_at else 'live'}"
        )


@user_app.command("add")
def add_user_(
    email: str = typer.Argument(..., help="The person's e-mail (their login)."),
    merchant: str = MERCHANT,
    role: str = typer.Option(..., "--role", help="agent, senior or admin."),
) -> None:
    """Add a person; the password is read as one line from standard input (at least 10 characters),
    never from the command line: `printf '%s\\n' "$PASSWORD" | rapport user add ...`."""
    from rapport.services.access import add_user

    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        typer.echo("error: give the password as one line on standard input", err=True)
        raise typer.Exit(EXIT_INPUT)
    with reported_errors():
        user = add_user(
            application().uow_factory,
            merchant=merchant,
            email=email,
            role=role,
            password=password,
            now=datetime.now(UTC),
        )
    typer.echo(f"user added: {user.email} ({user.role.value}) at merchant {merchant}")


@user_app.command("list")
def list_users_(merchant: str = MERCHANT) -> None:
    """Print the merchant's people: e-mail, role, created, active or disabled (tab-separated)."""
    from rapport.services.access import list_users

    with reported_errors():
        users = list_users(application().uow_factory, merchant=merchant)
    for user in users:
        state = "active" if user.active else f"disabled {_when(user.disabled_at)}"
        typer.echo(f"{user.email}\t{user.role.value}\t{_when(user.created_at)}\t{state}")
