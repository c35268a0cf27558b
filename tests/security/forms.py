"""Every form on a page, read as a browser would: where it goes, how, and its fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

TEXT_TYPES = {"text", "email", "search", "password", "tel", "url", "number", "date", ""}


@dataclass
class Form:
    action: str
    method: str
    hidden: dict[str, str] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)  # typed in: inputs and textareas
    chosen: dict[str, str] = field(default_factory=dict)  # selects, radios, checkboxes


class _Forms(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or self.page_url
            self.forms.append(Form(action, (a.get("method") or "get").lower()))
        if not self.forms or "name" not in a and tag != "option":
            return
        form = self.forms[-1]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "hidden":
                form.hidden[a["name"]] = a.get("value", "")
            elif kind in TEXT_TYPES:
                form.text.append(a["name"])
            elif kind in {"radio", "checkbox"}:
                form.chosen.setdefault(a["name"], a.get("value", "on"))
        elif tag == "textarea":
            form.text.append(a["name"])
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select:
            form.chosen.setdefault(self.select, a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None


def forms_on(html: str, page_url: str) -> list[Form]:
    parser = _Forms(page_url)
    parser.feed(html)
    return [form for form in parser.forms if form.text]
