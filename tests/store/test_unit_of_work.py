"""The unit of work commits only when told to; anything else rolls back."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rapport.store.unit_of_work import UnitOfWork


def merchant_exists(uow_factory: Callable[[], UnitOfWork], slug: str) -> bool:
    with uow_factory() as uow:
        return uow.merchants.id_of(slug) is not None


def test_committed_work_is_visible_to_the_next_unit_of_work(uow_factory: Callable[[], UnitOfWork]) -> None:
    with uow_factory() as uow:
        uow.merchants.get_or_create("acme")
        uow.commit()
    assert merchant_exists(uow_factory, "acme")


def test_work_left_uncommitted_is_rolled_back(uow_factory: Callable[[], UnitOfWork]) -> None:
    with uow_factory() as uow:
        uow.merchants.get_or_create("acme")
    assert not merchant_exists(uow_factory, "acme")


def create_then_fail(uow_factory: Callable[[], UnitOfWork]) -> None:
    with uow_factory() as uow:
        uow.merchants.get_or_create("acme")
        raise RuntimeError("boom")


def test_an_error_inside_the_unit_of_work_rolls_back_and_propagates(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        create_then_fail(uow_factory)
    assert not merchant_exists(uow_factory, "acme")


def test_repositories_are_unavailable_outside_the_with_block(uow_factory: Callable[[], UnitOfWork]) -> None:
    uow = uow_factory()
    with pytest.raises(RuntimeError, match="inside `with uow:`"):
        uow.commit()
