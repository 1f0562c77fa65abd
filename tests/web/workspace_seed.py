"""A seeded workspace for the web tests and `tools/screenshots.py`: one merchant with the example store's
customers, an admin, an agent and a senior, and a few tickets taken in through the desk's intake."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from rapport.bootstrap import Rapport, build
from rapport.config import Settings
from rapport.domain.desk import Actor, Role
from rapport.policy import default_policy_text
from rapport.services.access import add_user
from rapport.services.desk.intake import TicketIntake, take_in
from rapport.services.importing import import_jsonl

EXAMPLES = Path(__file__).parents[2] / "examples" / "store.jsonl"
MERCHANT = "acme"
PASSWORD = "correct horse battery"
ADMIN, AGENT, SENIOR = "ada@acme.test", "alex@acme.test", "sasha@acme.test"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TICKETS = (
    (
        "dana.lee@example.com",
        "Dana Lee",
        "Chipped bowl set",
        "Hi, my bowl set arrived chipped. Two of the four bowls are cracked at the rim.",
    ),
    (
        "lena.fischer@example.com",
        "Lena Fischer",
        "Where is my order?",
        "Hello, I ordered a week ago and nothing has arrived yet. Where is my parcel?",
    ),
    (
        "sam.okafor@example.com",
        "Sam Okafor",
        "Late delivery",
        "My order is late again. It was supposed to arrive on Monday and it still has not come.",
    ),
    (
        "maya.moreau@example.com",
        "Maya Moreau",
        "Wrong colour",
        "I received the wrong item: I ordered the blue linen runner and got a green one.",
    ),
)


@dataclass(frozen=True)
class Workspace:
    app: Rapport
    policy_path: Path


def app_in(directory: Path) -> Rapport:
    """The application over the store and policy file in `directory`."""
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{directory / 'rapport.db'}",
        merchant=MERCHANT,
        policy_path=directory / "rapport.yaml",
        shopify_webhook_secret=SecretStr("whsec_web"),
    )
    return build(settings, create_merchant=True)


def seeded_app(directory: Path) -> Workspace:
    """A fresh SQLite store in `directory`, seeded; the policy is the default one, in a file."""
    policy_path = directory / "rapport.yaml"
    policy_path.write_text(default_policy_text(), encoding="utf-8")
    app = app_in(directory)
    import_jsonl(app.uow_factory, path=EXAMPLES, merchant=app.merchant)
    for email, role in ((ADMIN, "admin"), (AGENT, "agent"), (SENIOR, "senior")):
        add_user(app.uow_factory, merchant=MERCHANT, email=email, role=role, password=PASSWORD, now=NOW)
    intake = Actor(merchant_id=app.merchant.id, role=Role.AGENT, label="help desk")
    tenant = app.tenant(app.merchant.id)
    for email, name, subject, body in TICKETS:
        take_in(
            app.uow_factory,
            tenant=tenant,
            actor=intake,
            classifier=app.classifier,
            drafter=app.drafter,
            intake=TicketIntake(email=email, name=name, subject=subject, body=body, now=NOW),
        )
    return Workspace(app=app, policy_path=policy_path)


def copy_of(seeded: Path, directory: Path) -> Workspace:
    """A workspace over a copy of the store seeded in `seeded` (seeding once, copying per test)."""
    for name in ("rapport.db", "rapport.db-wal", "rapport.yaml"):  # WAL: recent commits are in -wal
        if (seeded / name).exists():
            shutil.copyfile(seeded / name, directory / name)
    return Workspace(app=app_in(directory), policy_path=directory / "rapport.yaml")
