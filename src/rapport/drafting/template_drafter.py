"""The embedded drafter: Jinja2 templates per intent x tone style, overridable by the merchant."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import jinja2

from rapport.domain import CustomerProfile, Decision, Ticket
from rapport.domain.errors import RapportError
from rapport.drafting.draft import BrandSettings, Draft
from rapport.drafting.facts import chooser, reply_facts
from rapport.drafting.guardrails import check_draft

FALLBACK_STYLE = "friendly"
_STEP = re.compile(r"^\d+\.\s+")
_SPACES = re.compile(r"[ \t]+")


class DraftTemplateError(RapportError):
    """A template is missing, malformed, or uses a fact that does not exist."""

    code = "draft_template_error"


@dataclass(frozen=True, slots=True)
class _Block:
    kind: str  # "paragraph" or "steps"
    lines: tuple[str, ...]


@lru_cache(maxsize=16)
def _environments(templates_dir: Path | None) -> tuple[jinja2.Environment, jinja2.Environment]:
    """(text, html) environments; merchant files shadow packaged ones with the same name."""
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("rapport.drafting", "templates")]
    if templates_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(templates_dir)))
    loader = jinja2.ChoiceLoader(loaders)

    def environment(*, autoescape: bool) -> jinja2.Environment:
        # auto_reload off: templates are read once per process, not stat()ed on every render.
        return jinja2.Environment(
            loader=loader,
            autoescape=autoescape,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )

    text_env = environment(autoescape=False)  # plain text: escaping would corrupt "&" and "'"
    html_env = environment(autoescape=True)
    return text_env, html_env


def template_names(intent: str, style: str) -> list[str]:
    """The files tried for a reply body, most specific first (documented in docs/drafting.md)."""
    return [f"{intent}.{style}.txt.j2", f"{style}.txt.j2", f"{intent}.txt.j2", f"{FALLBACK_STYLE}.txt.j2"]


def tidy_text(raw: str) -> str:
    """Collapse the whitespace templates leave behind: single spaces, at most one blank line."""
    lines = [_SPACES.sub(" ", line).strip() for line in raw.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _blocks(text: str) -> list[_Block]:
    blocks = []
    for chunk in text.split("\n\n"):
        lines = tuple(line for line in chunk.splitlines() if line.strip())
        if lines and all(_STEP.match(line) for line in lines):
            blocks.append(_Block("steps", tuple(_STEP.sub("", line) for line in lines)))
        elif lines:
            blocks.append(_Block("paragraph", lines))
    return blocks


def render_html(text: str, templates_dir: Path | None = None) -> str:
    """The HTML body for a plain-text body: same words, escaped, steps as an ordered list."""
    _, html_env = _environments(templates_dir)
    try:
        return html_env.get_template("layout.html.j2").render(blocks=_blocks(text), lang="en")
    except jinja2.TemplateError as exc:
        raise DraftTemplateError(f"layout.html.j2: {exc}") from None


def _where(exc: jinja2.TemplateError, default: str) -> str:
    """FILE:LINE of a template error: from a syntax error, else from the template frame that raised."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name or default}:{exc.lineno}"
    tb, found = exc.__traceback__, default
    while tb is not None:  # Jinja rewrites tracebacks so template frames carry the file and line
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            found = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


@dataclass(frozen=True, slots=True)
class FramedReply:
    """A model-worded reply as Rapport assembles it: its subject, the offer it rendered, the body."""

    subject: str
    offer: str
    body: str


def render_frame(
    ticket: Ticket,
    profile: CustomerProfile,
    decision: Decision,
    brand: BrandSettings,
    *,
    opening: str = "",
    closing: str = "",
) -> FramedReply:
    """The subject, offer paragraph and sign-off Rapport renders around a model's opening and closing
    (`llm_offer.txt.j2`, `llm_reply.txt.j2`; merchant files override them like any template)."""
    facts = reply_facts(ticket, profile, decision, brand)
    text_env, _ = _environments(brand.templates_dir)
    context = {**facts.context, "choose": chooser(facts.seed), "opening": opening, "closing": closing}
    name = "llm_offer.txt.j2"
    try:
        offer = tidy_text(text_env.get_template(name).render(context))
        name = "llm_reply.txt.j2"
        body = tidy_text(text_env.get_template(name).render(context))
        name = "subject.txt.j2"
        subject = tidy_text(text_env.get_template(name).render(context)).replace("\n", " ")
    except jinja2.TemplateError as exc:
        raise DraftTemplateError(f"{_where(exc, name)}: {exc.message}") from None
    return FramedReply(subject=subject, offer=offer, body=body)


class TemplateDrafter:
    """Drafts replies from templates; deterministic for a given ticket, customer and decision."""

    def draft(
        self, ticket: Ticket, profile: CustomerProfile, decision: Decision, brand: BrandSettings
    ) -> Draft:
        """Render subject and bodies, record the facts used, and attach the guardrail report."""
        facts = reply_facts(ticket, profile, decision, brand)
        text_env, _ = _environments(brand.templates_dir)
        context = {**facts.context, "choose": chooser(facts.seed)}
        names = template_names(decision.intent.value, decision.tone.style)
        try:
            body_template = text_env.select_template(names)
            body = tidy_text(body_template.render(context))
            subject = tidy_text(text_env.get_template("subject.txt.j2").render(context)).replace("\n", " ")
        except jinja2.TemplateError as exc:
            raise DraftTemplateError(f"{_where(exc, names[0])}: {exc.message}") from None
        draft = Draft(
            subject=subject,
            body_text=body,
            body_html=render_html(body, brand.templates_dir),
            facts_used={**facts.used, "template": body_template.name},
            drafter="template",
        )
        report = check_draft(draft, ticket=ticket, profile=profile, decision=decision, brand=brand)
        return replace(draft, guardrails=report)
