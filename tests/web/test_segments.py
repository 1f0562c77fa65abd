"""Segment counts for the policy page: every customer of the merchant lands in exactly one segment."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from pydantic import SecretStr

from rapport.bootstrap import Rapport, build
from rapport.config import Settings
from rapport.engine.facts import customer_facts, order_facts
from rapport.engine.segmenting import choose_segment
from rapport.policy import default_policy
from rapport.services.importing import import_jsonl
from rapport.services.segments import segment_counts

EXAMPLES = Path(__file__).parents[2] / "examples" / "store.jsonl"
NOW = datetime.fromisoformat("2026-11-20T12:00:00+00:00")


def store_app(directory: Path, merchant: str) -> Rapport:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{directory / 'rapport.db'}",
        merchant=merchant,
        shopify_webhook_secret=SecretStr("x"),
    )
    return build(settings, policy=default_policy(), create_merchant=True)


def test_every_customer_is_counted_once_in_the_segment_the_engine_picks(tmp_path: Path) -> None:
    now = NOW
    app = store_app(tmp_path, "acme")
    import_jsonl(app.uow_factory, path=EXAMPLES, merchant=app.merchant)
    policy = app.policy
    # Small batches: the keyset pages must neither skip nor repeat anyone.
    counts = segment_counts(app.uow_factory, merchant_id=app.merchant.id, policy=policy, now=now, batch=4)
    expected: Counter[str] = Counter()
    emails = [e for e in EXAMPLES.read_text().splitlines() if '"kind": "customer"' in e]
    with app.uow_factory() as uow:
        for line in emails:
            email = line.split('"email": "')[1].split('"')[0].lower()
            profile = uow.profiles.get_profile(merchant_id=app.merchant.id, email=email, now=now)
            facts = {"customer": customer_facts(profile), "order": order_facts(None, now), "ticket": {}}
            expected[choose_segment(policy, facts).name] += 1
    assert [c.name for c in counts] == [s.name for s in policy.segments]
    assert {c.name: c.customers for c in counts if c.customers} == dict(expected)
    assert sum(c.customers for c in counts) == len(emails) == 33


def test_another_merchants_customers_are_not_counted(tmp_path: Path) -> None:
    app = store_app(tmp_path, "acme")
    import_jsonl(app.uow_factory, path=EXAMPLES, merchant=app.merchant)
    other = store_app(tmp_path, "globex")
    counts = segment_counts(
        other.uow_factory,
        merchant_id=other.merchant.id,
        policy=other.policy,
        now=NOW,
    )
    assert sum(c.customers for c in counts) == 0
