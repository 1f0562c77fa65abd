"""A merchant's policy, versioned in the store: save a new version (validated first), restore an old one,
read the history. The newest version is the one in force; a merchant that never stored one uses the
configured policy file (RAPPORT_POLICY_PATH)."""

from __future__ import annotations

from datetime import datetime

from rapport.domain.desk import Actor, Role
from rapport.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RecordRefused
from rapport.domain.policy_version import PolicyVersionInfo, StoredPolicy
from rapport.policy import Policy
from rapport.policy.loading import parse_policy
from rapport.schemas.policies import MAX_POLICY_CHARS
from rapport.services.ports import UnitOfWorkFactory


def policy_source_name(merchant_slug: str, version: int | None) -> str:
    """How errors and explanations name a stored policy: `acme policy v3` (a file is named by its path)."""
    return f"{merchant_slug} policy v{version}" if version is not None else f"{merchant_slug} policy"


def parse_stored(stored: StoredPolicy, merchant_slug: str) -> Policy:
    return parse_policy(stored.source, policy_source_name(merchant_slug, stored.info.version))


def _require_admin(actor: Actor | None) -> None:
    # None is the CLI, run by whoever operates the deployment.
    if actor is not None and (not actor.is_person or actor.role is not Role.ADMIN):
        raise Forbidden("only an admin may change the policy")


def save_policy(
    uow_factory: UnitOfWorkFactory,
    *,
    merchant_id: int,
    merchant_slug: str,
    source: str,
    actor: Actor | None,
    now: datetime,
    note: str | None = None,
) -> PolicyVersionInfo:
    """Validate `source` and store it as the merchant's next version (then in force everywhere).

    A policy with errors raises `PolicyError` (every issue with its line and field) and stores nothing."""
    _require_admin(actor)
    if len(source) > MAX_POLICY_CHARS:
        raise RecordRefused(
            f"the policy is {len(source):,} characters; at most {MAX_POLICY_CHARS:,} are kept"
        )
    parsed = parse_policy(source, policy_source_name(merchant_slug, None))
    if parsed.templates_dir is not None:
        # A folder on the server is the operator's to choose, not a web form's: it would let whoever
        # edits the policy make the drafter read templates from anywhere the process can read.
        raise InvalidInput(
            "templates_dir: a stored policy cannot name a folder on the server; "
            "keep templates_dir in the policy file (RAPPORT_POLICY_PATH)"
        )
    with uow_factory(write=True) as uow:
        try:
            saved = uow.policies.add(
                merchant_id=merchant_id,
                source=source,
                author_id=actor.user_id if actor else None,
                author_label=actor.label if actor else "cli",
                note=(note or "").strip()[:500] or None,
                now=now,
            )
            uow.commit()
        except RecordRefused:
            raise Conflict("someone saved the policy at the same moment; reload and try again") from None
    return saved


def restore_policy(
    uow_factory: UnitOfWorkFactory,
    *,
    merchant_id: int,
    merchant_slug: str,
    version: int,
    actor: Actor | None,
    now: datetime,
) -> PolicyVersionInfo:
    """Put an older version back in force, as a new version (the history keeps every step)."""
    with uow_factory() as uow:
        old = uow.policies.get(merchant_id=merchant_id, version=version)
    if old is None:
        raise NotFound(f"no policy version {version}")
    return save_policy(
        uow_factory,
        merchant_id=merchant_id,
        merchant_slug=merchant_slug,
        source=old.source,
        actor=actor,
        now=now,
        note=f"restored version {version}",
    )


def policy_history(uow_factory: UnitOfWorkFactory, *, merchant_id: int) -> list[PolicyVersionInfo]:
    with uow_factory() as uow:
        return uow.policies.history(merchant_id=merchant_id)


def current_policy_source(uow_factory: UnitOfWorkFactory, *, merchant_id: int) -> StoredPolicy | None:
    with uow_factory() as uow:
        return uow.policies.current(merchant_id=merchant_id)
