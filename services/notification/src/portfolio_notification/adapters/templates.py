"""Message templates as data: Jinja2, zh-TW first with English, a school may override the wording.

Defaults live as files beside this package (``templates/<trigger>[.<channel>].j2``, first line
``Subject: …``); a school's override is a row in ``template_overrides`` with the same shape.
Overrides are written by staff, so they render in Jinja2's sandbox with no auto-loaded files.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from ..domain.errors import TemplateInvalid
from ..domain.model import Trigger

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def template_name(trigger: Trigger, channel: str) -> str:
    """Inbox and e-mail share one text; a letter has its own (it tells how to answer by post)."""
    return f"{trigger.value}.postal" if channel == "postal" else trigger.value


@lru_cache(maxsize=64)
def default_source(trigger: Trigger, channel: str) -> tuple[str, str]:
    text = resources.files("portfolio_notification").joinpath(f"templates/{template_name(trigger, channel)}.j2")
    return split_source(text.read_text(encoding="utf-8"))


def split_source(source: str) -> tuple[str, str]:
    first, _, rest = source.partition("\n")
    if not first.startswith("Subject:"):
        raise TemplateInvalid("a template starts with a 'Subject:' line", field="body")
    return first.removeprefix("Subject:").strip(), rest.strip("\n")


@lru_cache(maxsize=512)
def _compile(source: str) -> Any:
    return _ENV.from_string(source)


def check(subject: str, body: str) -> None:
    """Refuse an override that does not compile, before it is stored."""
    for name, source in (("subject", subject), ("body", body)):
        try:
            _compile(source)
        except TemplateError as exc:
            raise TemplateInvalid(f"the {name} does not compile: {exc}", field=name) from exc


def render(
    trigger: Trigger, channel: str, context: dict[str, Any], override: tuple[str, str] | None = None
) -> Rendered:
    subject, body = override or default_source(trigger, channel)
    try:
        return Rendered(
            _compile(subject).render(context).replace("\n", " ").strip(), _compile(body).render(context).strip()
        )
    except TemplateError:  # an override naming a variable this trigger does not have
        if override is None:
            raise
        return render(trigger, channel, context, None)
