"""The composition root: the one place that reads settings and builds what the use cases run on.

The CLI, the API, the demo and the worker all call `build(settings)` and hand the parts to services;
nothing else reads `Settings`, opens an engine, loads the policy or picks a drafter. A bad or missing
policy fails here, loudly and the same way for every entrypoint (`PolicyError`, `InvalidInput`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rapport.config import Settings
from rapport.domain import IntentReading
from rapport.domain.errors import InvalidInput
from rapport.domain.signals import SignalRules
from rapport.drafting import BrandSettings, Drafter, TemplateDrafter
from rapport.llm import LLMDrafter, LLMSettings
from rapport.policy import Policy, Signals, load_policy
from rapport.services.ingestion.ports import CsvExports, ShopifyFeed
from rapport.services.merchants import MerchantContext, open_merchant
from rapport.services.ports import UnitOfWorkFactory
from rapport.services.tenancy import Tenant, Tenants, brand_of, stored_policy
from rapport.understanding import IntentClassifier
from rapport.understanding.reading import classifier_named

if TYPE_CHECKING:
    from rapport.connectors.shopify.client import ShopifyEndpoint
    from rapport.services.follow_ups.ports import FollowUpSender
    from rapport.services.follow_ups.store_port import FollowUpUnitOfWorkFactory
    from rapport.services.follow_ups.worker import FollowUpWorker
    from rapport.services.webhooks import WebhookService


class LazyClassifier:
    """The configured intent model (RAPPORT_INTENT_MODEL), loaded on the first message that needs it (not
    for `--intent`)."""

    def __init__(self, name: str = "best") -> None:
        self.name = name

    def classify(self, text: str) -> IntentReading:
        return classifier_named(self.name).classify(text)


def policy_at(path: Path) -> Policy:
    """The merchant policy in `path`; a missing file is an input error that says how to get one."""
    if not path.exists():
        raise InvalidInput(
            f"policy file {path} does not exist (run `rapport init` to write the default policy, "
            "or set RAPPORT_POLICY_PATH)"
        )
    return load_policy(path)


def llm_settings(settings: Settings) -> LLMSettings | None:
    """The LLM endpoint, or None when replies come from templates only (the key stays a SecretStr)."""
    if not settings.llm_base_url:
        return None
    return LLMSettings(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout_seconds,
    )


@dataclass
class Rapport:
    """Everything a use case may need, built lazily (a CLI command pays only for what it uses)."""

    settings: Settings
    policy_override: Path | None = None
    _uow_factory: UnitOfWorkFactory | None = None
    _policy: Policy | None = None
    create_merchant: bool = False  # tests and the demo: create the configured merchant when missing

    @property
    def merchant_slug(self) -> str:
        return self.settings.merchant

    @cached_property
    def policy(self) -> Policy:
        """The policy file given, else the configured one; without that file, the configured merchant's
        newest stored policy (a deployment configured by environment alone, its policy saved in the
        workspace, needs no file). No file and nothing stored: an input error saying how to get one."""
        if self._policy is not None:
            return self._policy
        path = self.policy_override or self.settings.policy_path
        if self.policy_override is None and not path.exists() and self._store_exists():
            stored = stored_policy(self.uow_factory, self.settings.merchant)
            if stored is not None:
                return stored
        return policy_at(path)

    def _store_exists(self) -> bool:
        """False for an SQLite file not created yet: looking for a stored policy would create it."""
        from sqlalchemy import make_url

        url = make_url(self.settings.database_url)
        if url.get_backend_name() != "sqlite" or self._uow_factory is not None:
            return True
        return url.database not in (None, "", ":memory:") and Path(url.database).exists()

    @cached_property
    def uow_factory(self) -> UnitOfWorkFactory:
        """Units of work on the configured store, migrated to the newest schema on first use."""
        if self._uow_factory is not None:
            return self._uow_factory
        from rapport.store.unit_of_work import units_of_work

        return units_of_work(self.settings.database_url)

    @cached_property
    def merchant(self) -> MerchantContext:
        """The configured merchant (`RAPPORT_MERCHANT`), its currency following the policy's.

        An unknown merchant raises `UnknownMerchant` (`rapport init` or `rapport merchant add` create
        one); with `create_merchant` it is created, bound to `RAPPORT_SHOPIFY_SHOP` when that is set."""
        return open_merchant(
            self.uow_factory,
            slug=self.settings.merchant,
            currency=self.policy.currency,
            create=self.create_merchant,
            shop_domain=(self.settings.shopify_shop.strip() or None) if self.create_merchant else None,
        )

    @cached_property
    def classifier(self) -> IntentClassifier:
        return LazyClassifier(self.settings.intent_model)

    @cached_property
    def drafter(self) -> Drafter:
        llm = llm_settings(self.settings)
        return LLMDrafter(llm) if llm is not None else TemplateDrafter()

    @cached_property
    def brand(self) -> BrandSettings:
        return brand_of(self.policy)

    @cached_property
    def tenants(self) -> Tenants:
        """Every merchant of the store with the policy in force for it (the API's requests act for the
        merchant of their key or session); merchants without a stored policy use the configured file."""
        return Tenants(self.uow_factory, default_policy=self.policy)

    def tenant(self, merchant_id: int) -> Tenant:
        return self.tenants.get(merchant_id)

    # -- Ingestion: the Shopify connector's parts, from the settings and the policy's `signals:` ------
    # (owned with services/ingestion; connectors never read Settings.)

    def signal_rules(self, override: Path | None = None) -> SignalRules:
        """The policy's `signals:` section, or those of the file `override` (`rapport shopify sync
        --signals FILE`: a YAML mapping with the section's fields)."""
        if override is None:
            return self.policy.signals.rules()
        return signal_rules_file(override)

    def shopify_feed(self) -> AbstractContextManager[ShopifyFeed]:
        """The connected shop as a bulk feed (closes its HTTP client on exit)."""
        from contextlib import contextmanager

        from rapport.connectors.shopify.client import GraphQLClient
        from rapport.connectors.shopify.sync import ShopifyBulkFeed

        endpoint = shopify_endpoint(self.settings)

        @contextmanager
        def opened() -> Iterator[ShopifyFeed]:
            with GraphQLClient(endpoint) as client:
                yield ShopifyBulkFeed(client)

        return opened()

    def shopify_csv(self) -> CsvExports:
        from rapport.connectors.shopify.csv_import import ShopifyCsvExports

        return ShopifyCsvExports()

    def webhooks(self, *, clock: Callable[[], datetime] | None = None) -> WebhookService:
        """Shopify webhooks for the configured merchant, verified with RAPPORT_SHOPIFY_WEBHOOK_SECRET;
        only those of the shop the merchant is bound to are applied (the others are stored as rejected)."""
        from rapport.connectors.shopify.webhook_topics import ShopifyWebhookTopics
        from rapport.connectors.shopify.webhooks import ShopifyWebhookVerifier
        from rapport.services.webhooks import WebhookService

        return WebhookService(
            self.uow_factory,
            merchant=self.merchant,
            verifier=ShopifyWebhookVerifier(self.settings.shopify_webhook_secret),
            topics=ShopifyWebhookTopics(),
            rules=self.signal_rules(),
            clock=clock or (lambda: datetime.now(UTC)),
            policy=self.policy,
        )


def shopify_endpoint(settings: Settings) -> ShopifyEndpoint:
    """The shop the settings describe, or a clear error naming the missing variable (the token stays a
    SecretStr)."""
    from rapport.connectors.shopify.client import ShopifyEndpoint
    from rapport.connectors.shopify.errors import ShopifyNotConfigured

    shop = settings.shopify_shop.strip()
    base = settings.shopify_api_base_url.strip().rstrip("/")
    if not shop and not base:
        raise ShopifyNotConfigured("set RAPPORT_SHOPIFY_SHOP (e.g. acme.myshopify.com) to connect a store")
    if not settings.shopify_access_token.get_secret_value():
        raise ShopifyNotConfigured("set RAPPORT_SHOPIFY_ACCESS_TOKEN (the Admin API access token)")
    version = settings.shopify_api_version
    return ShopifyEndpoint(
        shop=shop or base,
        access_token=settings.shopify_access_token,
        api_version=version,
        base_url=base or f"https://{shop}/admin/api/{version}",
    )


def follow_up_sender(settings: Settings) -> FollowUpSender:
    """The configured delivery of follow-ups (RAPPORT_FOLLOW_UP_DELIVERY): a file outbox (the default),
    SMTP, or the merchant's help desk webhook; a setting it needs that is missing is an `InvalidInput`
    naming the variable. The adapters' own failures reach the caller as the port's `DeliveryFailed`."""
    from rapport.connectors.helpdesk_webhook import HelpdeskWebhook
    from rapport.mail.file_outbox import FileOutbox
    from rapport.mail.smtp_sender import SmtpSender, SmtpSettings

    sender_address = settings.smtp_from or "follow-ups@rapport.invalid"
    try:
        if settings.follow_up_delivery == "smtp":
            smtp = SmtpSettings(
                host=settings.smtp_host,
                port=settings.smtp_port,
                from_address=settings.smtp_from,
                security=settings.smtp_security,
                username=settings.smtp_username,
                password=settings.smtp_password,
                from_name=settings.smtp_from_name,
                timeout_seconds=settings.smtp_timeout_seconds,
            )
            return SmtpSender(smtp)
        if settings.follow_up_delivery == "helpdesk_webhook":
            hook = HelpdeskWebhook(
                settings.helpdesk_webhook_url,
                settings.helpdesk_webhook_secret,
                timeout_seconds=settings.helpdesk_webhook_timeout_seconds,
            )
            return hook
    except ValueError as exc:
        raise InvalidInput(f"follow-up delivery {settings.follow_up_delivery}: {exc}") from None
    outbox = FileOutbox(settings.outbox_dir, from_address=sender_address, from_name=settings.smtp_from_name)
    return outbox


def signal_rules_file(path: Path) -> SignalRules:
    """Signal rules from a YAML (or JSON) file with the fields of the policy's `signals:` section."""
    from pydantic import ValidationError
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        raw = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise InvalidInput(f"{path}: cannot read signal rules: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path}: signal rules must be a mapping of setting: value")
    try:
        return Signals.model_validate(raw).rules()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        what = "unknown signal setting" if first["type"] == "extra_forbidden" else first["msg"]
        raise InvalidInput(f"{path}: {where}: {what}") from None


def build(
    settings: Settings,
    *,
    policy_path: Path | None = None,
    policy: Policy | None = None,
    uow_factory: UnitOfWorkFactory | None = None,
    create_merchant: bool = False,
) -> Rapport:
    """The application for `settings`; `policy_path` overrides the configured policy file, and tests or
    the demo may hand in a `policy` and a `uow_factory` directly, and create the configured merchant on
    first use (`create_merchant`; entrypoints never do: an unknown merchant is an error)."""
    return Rapport(
        settings=settings,
        policy_override=policy_path,
        _uow_factory=uow_factory,
        _policy=policy,
        create_merchant=create_merchant,
    )


# -- Follow-up worker: the job's parts from the settings (the worker settings block of config.py) --------


def follow_up_worker(
    app: Rapport, *, sender: FollowUpSender | None = None, clock: Callable[[], datetime] | None = None
) -> FollowUpWorker:
    """What `rapport worker` (and the runner in `rapport serve`) runs: the configured delivery carries
    every channel a policy rule names (`email`, `webhook`); `sender` replaces it (tests, the demo)."""
    from datetime import timedelta

    from rapport.services.follow_ups.jobs import JobSettings
    from rapport.services.follow_ups.wording import CsatLinks, FollowUpWording
    from rapport.services.follow_ups.worker import FollowUpWorker

    settings = app.settings
    now = clock or (lambda: datetime.now(UTC))
    delivery = sender or follow_up_sender(settings)
    units = follow_up_units(app)
    csat = CsatLinks(settings.csat_base_url, settings.csat_secret, timedelta(days=settings.csat_link_days))
    return FollowUpWorker(
        units=units,
        senders={"email": delivery, "webhook": delivery},
        write=FollowUpWording(app.tenant, now, csat),
        settings=JobSettings(
            batch_size=settings.follow_up_batch_size,
            lease=timedelta(seconds=settings.follow_up_lease_seconds),
            max_attempts=settings.follow_up_max_attempts,
            retry_base=timedelta(seconds=settings.follow_up_retry_base_seconds),
            one_connection_per_batch=settings.database_url.startswith("postgresql"),
        ),
        clock=now,
    )


def follow_up_units(app: Rapport) -> FollowUpUnitOfWorkFactory:
    """The application's units of work, which carry `uow.follow_ups` (the store's always do)."""
    from rapport.store.unit_of_work import UnitsOfWork, units_of_work

    given = app.uow_factory
    if isinstance(given, UnitsOfWork):
        return given
    return units_of_work(app.settings.database_url)  # a factory of our own interfaces given to build()


def start_follow_up_runner(app: Rapport) -> tuple[threading.Thread, threading.Event] | None:
    """The in-process follow-up runner in a daemon thread, when RAPPORT_WORKER_IN_SERVE is set (for
    `rapport serve` on SQLite; on PostgreSQL run `rapport worker` processes instead). Set the event to
    stop it. None when it is not configured."""
    if not app.settings.worker_in_serve:
        return None
    from rapport.services.follow_ups.runner import start_in_thread

    worker = follow_up_worker(app)
    return start_in_thread(worker.run_once, idle_seconds=app.settings.worker_idle_seconds)
