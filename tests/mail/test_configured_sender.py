"""bootstrap.follow_up_sender builds the configured delivery and speaks the port's failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from rapport.bootstrap import follow_up_sender
from rapport.config import Settings
from rapport.domain.errors import InvalidInput
from rapport.services.follow_ups.ports import DeliveryFailed

from .builders import a_follow_up


def test_by_default_follow_ups_go_to_the_file_outbox(tmp_path: Path) -> None:
    sender = follow_up_sender(Settings(_env_file=None, outbox_dir=tmp_path / "outbox"))
    sender.send(a_follow_up())
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["rapport-follow-up-3-41.eml"]


def test_an_adapters_failure_reaches_the_caller_as_delivery_failed(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    sender = follow_up_sender(Settings(_env_file=None, outbox_dir=blocked))
    with pytest.raises(DeliveryFailed) as failed:
        sender.send(a_follow_up())
    assert failed.value.retryable is True


def test_smtp_without_a_host_is_an_input_error_naming_the_variable() -> None:
    settings = Settings(_env_file=None, follow_up_delivery="smtp", smtp_from="support@acme.example")
    with pytest.raises(InvalidInput, match="RAPPORT_SMTP_HOST"):
        follow_up_sender(settings)


def test_an_smtp_server_that_is_down_is_a_retryable_delivery_failure() -> None:
    settings = Settings(
        _env_file=None,
        follow_up_delivery="smtp",
        smtp_host="127.0.0.1",
        smtp_port=9,
        smtp_security="none",
        smtp_from="support@acme.example",
        smtp_timeout_seconds=2,
    )
    with pytest.raises(DeliveryFailed) as failed:
        follow_up_sender(settings).send(a_follow_up())
    assert failed.value.retryable is True


def test_the_help_desk_webhook_without_a_secret_is_an_input_error() -> None:
    settings = Settings(
        _env_file=None,
        follow_up_delivery="helpdesk_webhook",
        helpdesk_webhook_url="https://desk.acme.example/hook",
        helpdesk_webhook_secret=SecretStr(""),
    )
    with pytest.raises(InvalidInput, match="RAPPORT_HELPDESK_WEBHOOK_SECRET"):
        follow_up_sender(settings)
