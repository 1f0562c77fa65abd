"""The fake Shopify Admin API the tests run on loopback (it lives in src/ so the docs can run it too)."""

from __future__ import annotations

from dataclasses import dataclass

from rapport.connectors.shopify.fake_data import FakeShopData, build_shop
from rapport.connectors.shopify.fake_server import Bucket, FakeShopify, FakeShopifyServer


@dataclass
class FakeClock:
    """A clock the fake server reads and the client sleeps on: throttling without real waiting."""

    now: float = 1000.0
    slept: float = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


__all__ = ["Bucket", "FakeClock", "FakeShopData", "FakeShopify", "FakeShopifyServer", "build_shop"]
