"""`rapport init` as a use case: the default policy written once, the merchant in the policy's currency."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeStore, FakeUnitOfWorkFactory

from rapport.policy import PolicyError, default_policy_text
from rapport.services.setup import initialize


def test_the_default_policy_is_written_when_there_is_none(tmp_path: Path) -> None:
    policy_path = tmp_path / "rapport.yaml"
    done = initialize(FakeUnitOfWorkFactory(), merchant="acme", policy_path=policy_path)
    assert done.policy_written
    assert policy_path.read_text(encoding="utf-8") == default_policy_text()


def test_an_existing_policy_is_kept_as_it_is(tmp_path: Path) -> None:
    policy_path = tmp_path / "rapport.yaml"
    mine = "# our own\n" + default_policy_text()
    policy_path.write_text(mine, encoding="utf-8")
    done = initialize(FakeUnitOfWorkFactory(), merchant="acme", policy_path=policy_path)
    assert not done.policy_written
    assert policy_path.read_text(encoding="utf-8") == mine


def test_running_init_twice_writes_the_policy_once(tmp_path: Path) -> None:
    policy_path = tmp_path / "rapport.yaml"
    uow_factory = FakeUnitOfWorkFactory()
    first = initialize(uow_factory, merchant="acme", policy_path=policy_path)
    second = initialize(uow_factory, merchant="acme", policy_path=policy_path)
    assert (first.policy_written, second.policy_written) == (True, False)
    assert first.merchant == second.merchant


def test_the_merchant_is_created_with_the_policys_currency(tmp_path: Path) -> None:
    policy_path = tmp_path / "rapport.yaml"
    policy_path.write_text(default_policy_text().replace("currency: USD", "currency: EUR"), encoding="utf-8")
    done = initialize(FakeUnitOfWorkFactory(), merchant="acme", policy_path=policy_path)
    assert (done.merchant.slug, done.merchant.currency) == ("acme", "EUR")


def test_an_existing_merchant_takes_the_currency_of_the_kept_policy(tmp_path: Path) -> None:
    policy_path = tmp_path / "rapport.yaml"
    policy_path.write_text(default_policy_text().replace("currency: USD", "currency: EUR"), encoding="utf-8")
    store = FakeStore().with_merchant("acme", currency="USD")
    done = initialize(FakeUnitOfWorkFactory(store), merchant="acme", policy_path=policy_path)
    assert done.merchant.currency == "EUR"
    assert store.merchant("acme").currency == "EUR"


def test_an_invalid_existing_policy_is_refused_before_the_merchant_is_created(tmp_path: Path) -> None:
    policy_path = tmp_path / "rapport.yaml"
    policy_path.write_text("currency: euros\n", encoding="utf-8")
    store = FakeStore()
    with pytest.raises(PolicyError, match=r"rapport\.yaml:1"):
        initialize(FakeUnitOfWorkFactory(store), merchant="acme", policy_path=policy_path)
    assert store.state.merchants == {}


def test_init_binds_the_merchant_to_the_configured_shop(tmp_path: Path) -> None:
    store = FakeStore()
    initialize(
        FakeUnitOfWorkFactory(store),
        merchant="acme",
        policy_path=tmp_path / "rapport.yaml",
        shop_domain="acme.myshopify.com",
    )
    assert store.merchant("acme").shop_domain == "acme.myshopify.com"


def test_init_binds_an_existing_merchant_without_a_shop(tmp_path: Path) -> None:
    store = FakeStore().with_merchant("acme")
    initialize(
        FakeUnitOfWorkFactory(store),
        merchant="acme",
        policy_path=tmp_path / "rapport.yaml",
        shop_domain="acme.myshopify.com",
    )
    assert store.merchant("acme").shop_domain == "acme.myshopify.com"


def test_init_without_a_shop_leaves_the_merchant_unbound(tmp_path: Path) -> None:
    store = FakeStore()
    initialize(
        FakeUnitOfWorkFactory(store), merchant="acme", policy_path=tmp_path / "rapport.yaml", shop_domain=""
    )
    assert store.merchant("acme").shop_domain is None
