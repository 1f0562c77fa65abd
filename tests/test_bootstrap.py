"""The composition root: one way to build the parts, one way to fail on a bad policy, secrets kept secret."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from rapport.bootstrap import Rapport, build, llm_settings
from rapport.config import Settings
from rapport.domain.errors import InvalidInput
from rapport.drafting import TemplateDrafter
from rapport.llm import LLMDrafter
from rapport.policy import PolicyError, default_policy, default_policy_text

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def settings_for(tmp_path: Path, **values: object) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'rapport.db'}",
        policy_path=tmp_path / "rapport.yaml",
        _env_file=None,
        **values,
    )


def test_replies_come_from_templates_when_no_model_is_configured(tmp_path):
    assert isinstance(build(settings_for(tmp_path)).drafter, TemplateDrafter)


def test_replies_come_from_the_model_when_an_endpoint_is_configured(tmp_path):
    app = build(settings_for(tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_model="m"))
    assert isinstance(app.drafter, LLMDrafter)


def test_a_missing_policy_file_is_an_input_error_that_says_how_to_get_one(tmp_path):
    with pytest.raises(InvalidInput, match="rapport init"):
        _ = build(settings_for(tmp_path)).policy


def test_an_invalid_policy_fails_with_file_and_line(tmp_path):
    (tmp_path / "rapport.yaml").write_text("segments: [\n  - {name: x, when: 'customer.orders_count >= '}\n")
    with pytest.raises(PolicyError, match=r"rapport\.yaml:\d"):
        _ = build(settings_for(tmp_path)).policy


def test_the_configured_policy_is_loaded(tmp_path):
    (tmp_path / "rapport.yaml").write_text(default_policy_text().replace("currency: USD", "currency: EUR"))
    assert build(settings_for(tmp_path)).policy.currency == "EUR"


def test_secrets_are_not_printed_by_repr(tmp_path):
    settings = settings_for(
        tmp_path,
        llm_base_url="http://127.0.0.1:9/v1",
        llm_api_key=SecretStr("sk-very-secret"),
        shopify_access_token=SecretStr("shpat_very_secret"),
    )
    llm = llm_settings(settings)
    assert "sk-very-secret" not in repr(llm)
    assert "shpat_very_secret" not in repr(settings)
    assert llm is not None
    assert llm.api_key.get_secret_value() == "sk-very-secret"


def test_the_policy_s_allowed_link_domains_reach_the_reply_brand(tmp_path):
    text = default_policy_text().replace("brand:\n", "brand:\n  allowed_domains: [shop.acme.example]\n", 1)
    (tmp_path / "rapport.yaml").write_text(text)
    assert build(settings_for(tmp_path)).brand.link_domains == ("shop.acme.example",)


def stored_version(app: Rapport, source: str) -> None:
    """`source` saved as the configured merchant's newest policy version, as the workspace saves it."""
    merchant_id = app.merchant.id
    with app.uow_factory(write=True) as uow:
        uow.policies.add(
            merchant_id=merchant_id, source=source, author_id=None, author_label="test", note=None, now=NOW
        )
        uow.commit()


def test_without_a_policy_file_the_merchants_stored_policy_is_in_force(tmp_path):
    (tmp_path / "rapport.yaml").write_text(default_policy_text(), encoding="utf-8")
    first = build(settings_for(tmp_path))
    first.create_merchant = True
    stored_version(first, default_policy_text().replace("currency: USD", "currency: EUR", 1))
    (tmp_path / "rapport.yaml").unlink()
    assert build(settings_for(tmp_path)).policy.currency == "EUR"


def test_a_policy_file_present_is_the_configured_policy_even_with_a_stored_one(tmp_path):
    (tmp_path / "rapport.yaml").write_text(default_policy_text(), encoding="utf-8")
    first = build(settings_for(tmp_path))
    first.create_merchant = True
    stored_version(first, default_policy_text().replace("currency: USD", "currency: EUR", 1))
    assert build(settings_for(tmp_path)).policy.currency == "USD"


def test_looking_for_a_stored_policy_creates_no_database(tmp_path):
    with pytest.raises(InvalidInput, match="rapport init"):
        _ = build(settings_for(tmp_path)).policy
    assert not (tmp_path / "rapport.db").exists()


def test_the_tfidf_intent_model_reads_messages_when_configured(tmp_path):
    from rapport.understanding.model import load_packaged_model

    tfidf = load_packaged_model()
    assert tfidf is not None
    app = build(settings_for(tmp_path, intent_model="tfidf"), policy=default_policy())
    message = "Where is my parcel? It has been ten days."
    assert app.classifier.classify(message) == tfidf.classify(message)


def test_an_unknown_intent_model_setting_is_refused(tmp_path):
    with pytest.raises(ValueError, match="intent_model"):
        settings_for(tmp_path, intent_model="gpt")


def test_a_bad_setting_in_the_environment_is_an_input_error_naming_the_variable(monkeypatch):
    from rapport.config import load_settings

    monkeypatch.setenv("RAPPORT_INTENT_MODEL", "gpt")
    monkeypatch.setenv("RAPPORT_SMTP_PORT", "abc")
    with pytest.raises(InvalidInput) as refused:
        load_settings()
    assert "RAPPORT_INTENT_MODEL: " in refused.value.message
    assert "(got 'gpt')" in refused.value.message
    assert "RAPPORT_SMTP_PORT: " in refused.value.message
