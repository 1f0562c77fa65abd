"""Reply drafting as a service: the brand voice comes from the policy."""

from __future__ import annotations

from pathlib import Path

from rapport.policy import default_policy, default_policy_text, parse_policy
from rapport.services.replies import brand_from_policy

DEFAULT_BRAND = (
    "  store_name: Our Store\n  agent_name: The Care Team\n  sign_off: Warm regards\n  locale: en_US\n"
)
ACME_BRAND = (
    "  store_name: Acme Ceramics\n  agent_name: Sam\n  sign_off: Cheers\n  locale: de_DE\n"
    "  support_email: help@acme.example\n"
)


def test_the_brand_section_of_the_policy_sets_the_reply_voice(tmp_path: Path) -> None:
    text = default_policy_text()
    assert DEFAULT_BRAND in text
    text = text.replace(DEFAULT_BRAND, ACME_BRAND).replace(
        "# templates_dir: templates", "templates_dir: replies"
    )
    brand = brand_from_policy(parse_policy(text, "acme.yaml", base_dir=tmp_path))
    assert (brand.store_name, brand.agent_name, brand.sign_off, brand.locale, brand.support_email) == (
        "Acme Ceramics",
        "Sam",
        "Cheers",
        "de_DE",
        "help@acme.example",
    )
    assert brand.templates_dir == tmp_path / "replies"


def test_the_default_policy_speaks_as_the_care_team_with_the_packaged_templates() -> None:
    brand = brand_from_policy(default_policy())
    assert (brand.agent_name, brand.templates_dir) == ("The Care Team", None)
