"""Reading a policy file: YAML with line numbers, then pydantic, then cross-checks.

Every mistake is collected and reported together as `FILE:LINE: path.to.field: message`.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent

from rapport.policy.checks import Location, cross_check, limit_warnings
from rapport.policy.errors import PolicyError, PolicyIssue
from rapport.policy.schema import Policy

MAX_POLICY_BYTES = 1_000_000
"""A policy is a page or two of YAML; a bigger file is a mistake (or an attack), refused before parsing."""
MAX_POLICY_DEPTH = 32
"""How deeply sections, lists and mappings may nest (the shipped policy needs 4)."""

_FRIENDLY_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "required field is missing",
}


def default_policy_text() -> str:
    """The text of the policy Rapport ships with (a sensible starting point to copy)."""
    return files("rapport.policy").joinpath("default_policy.yaml").read_text(encoding="utf-8")


def default_policy() -> Policy:
    """The shipped policy, loaded."""
    return parse_policy(default_policy_text(), "default_policy.yaml")


def load_policy(path: Path) -> Policy:
    """Load and validate the policy at `path`; raises PolicyError listing every mistake."""
    return load_policy_with_warnings(path)[0]


def load_policy_with_warnings(path: Path) -> tuple[Policy, list[PolicyIssue]]:
    """`load_policy`, and the warnings about the valid policy (see `checks.limit_warnings`), in file
    order: offers its limits can never allow. Warnings never stop a policy from loading."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_POLICY_BYTES + 1)  # never more than the bound, whatever the file holds
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([PolicyIssue(str(path), 1, 1, "", f"cannot read the policy: {exc}")]) from None
    return parse_policy_with_warnings(text, str(path), base_dir=path.parent)


def parse_policy(text: str, source: str, *, base_dir: Path | None = None) -> Policy:
    """Validate policy `text`; `source` names it in errors, `base_dir` anchors templates_dir."""
    return parse_policy_with_warnings(text, source, base_dir=base_dir)[0]


def parse_policy_with_warnings(
    text: str, source: str, *, base_dir: Path | None = None
) -> tuple[Policy, list[PolicyIssue]]:
    """`parse_policy`, and the warnings about the valid policy with their line, in file order."""
    document = _read_yaml(text, source)
    if not isinstance(document, CommentedMap):
        raise PolicyError([PolicyIssue(source, 1, 1, "", "the policy must be a YAML mapping of sections")])
    policy = _validate(_plain(document), source, document)
    if base_dir is not None and policy.templates_dir is not None and not policy.templates_dir.is_absolute():
        policy = policy.model_copy(update={"templates_dir": base_dir / policy.templates_dir})
    warnings = [_issue(source, document, location, message) for location, message in limit_warnings(policy)]
    return policy, sorted(warnings, key=lambda w: (w.line, w.column, w.path))


def policy_from_data(data: Mapping[str, Any], source: str) -> Policy:
    """Validate a policy given as plain data (e.g. JSON); issues carry no line (line 0)."""
    return _validate(data, source, CommentedMap())


def _validate(data: object, source: str, document: CommentedMap) -> Policy:
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError([_pydantic_issue(source, document, e) for e in exc.errors()]) from None
    findings = cross_check(policy)
    if findings:
        raise PolicyError([_issue(source, document, loc, message) for loc, message in findings])
    return policy


def _read_yaml(text: str, source: str) -> object:
    if len(text) > MAX_POLICY_BYTES or len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        message = f"the policy is larger than {MAX_POLICY_BYTES:,} bytes; a policy is a page or two of YAML"
        raise PolicyError([PolicyIssue(source, 1, 1, "", message)])
    try:
        _refuse_aliases_and_depth(text, source)
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise PolicyError([PolicyIssue(source, line, column, "", f"invalid YAML: {problem}")]) from None
    except YAMLError as exc:
        raise PolicyError([PolicyIssue(source, 1, 1, "", f"invalid YAML: {exc}")]) from None


def _refuse_aliases_and_depth(text: str, source: str) -> None:
    """Refuse anchors, aliases and deep nesting from the parser's events, before any node is built.

    An alias makes a small file expand without bound ("billion laughs": ten aliases of ten aliases of
    ...), and a deep nesting makes the composer recurse; both are refused in time linear in the text.
    """
    depth = 0
    first_anchor: NodeEvent | None = None
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, AliasEvent):
            line = event.start_mark.line + 1
            raise PolicyError([PolicyIssue(source, line, 1, "", "aliases are not allowed in a policy")])
        if isinstance(event, NodeEvent) and event.anchor and first_anchor is None:
            first_anchor = event
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_POLICY_DEPTH:
                line = event.start_mark.line + 1
                message = f"nested more than {MAX_POLICY_DEPTH} levels deep; a policy needs far fewer"
                raise PolicyError([PolicyIssue(source, line, 1, "", message)])
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
    if first_anchor is not None:
        line = first_anchor.start_mark.line + 1
        message = f"anchors are not allowed in a policy (&{first_anchor.anchor}): write the value out"
        raise PolicyError([PolicyIssue(source, line, 1, "", message)])


def _plain(node: object) -> object:
    """ruamel's round-trip nodes as plain Python values, so validation sees ordinary types."""
    if isinstance(node, dict):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _pydantic_issue(source: str, document: CommentedMap, error: ErrorDetails) -> PolicyIssue:
    message = _FRIENDLY_MESSAGES.get(error["type"], error["msg"])
    message = message.removeprefix("Value error, ")
    # Drop pydantic's internal steps (e.g. "function-plain[...]") from the location.
    location = tuple(p for p in error["loc"] if isinstance(p, int) or not any(c in p for c in "[]-("))
    return _issue(source, document, location, message)


def _issue(source: str, document: CommentedMap, location: Location, message: str) -> PolicyIssue:
    line, column = _position(document, location)
    return PolicyIssue(source, line, column, format_location(location), message)


def _position(document: CommentedMap, location: Location) -> tuple[int, int]:
    """The 1-based line and column of the deepest part of `location` present in the file.

    (0, 0) when the policy did not come from a file (see `policy_from_data`).
    """
    if not document:
        return 0, 0
    node: Any = document
    line, column = 0, 0
    for part in location:
        if isinstance(node, CommentedMap) and part in node:
            line, column = node.lc.key(part)
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, column = node.lc.item(part)
        else:
            break
        node = node[part]
    return line + 1, column + 1


def format_location(location: Location) -> str:
    """("segments", 0, "when") -> "segments[0].when"."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
