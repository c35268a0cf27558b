"""Languages (Flask-Babel): English and the most common home languages of pupils in England
after it (Polish, Romanian, Portuguese, Urdu, Arabic, Bengali). Their catalogues ship in
the package and cover the parent pages and every message a family receives.

A parent page is shown in the language stored on the contact (their choice sticks); pages
without a personal link follow `?lang=` or the browser's preference. The agreement's own
translations are the school's (agreements/translations.py): its English wording binds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.lists import format_list
from babel.support import NullTranslations
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, get_locale, refresh

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, as a parent looks for it
    direction: str  # "ltr" or "rtl"


LANGUAGES = {
    "en": Language("en", "English", "ltr"),
    "pl": Language("pl", "Polski", "ltr"),
    "ro": Language("ro", "Română", "ltr"),
    "pt": Language("pt", "Português", "ltr"),
    "ur": Language("ur", "اردو", "rtl"),
    "ar": Language("ar", "العربية", "rtl"),
    "bn": Language("bn", "বাংলা", "ltr"),
}
DEFAULT_LANGUAGE = "en"

_ENGLISH = NullTranslations()


def english_plural(singular: str, plural: str, n: int, **values: object) -> str:
    """Staff and command-line text, which is English only and so never in the catalogues:
    Babel's ngettext in English, formatted with %(num)d and `values` ("1 carer", "2 carers")."""
    return _ENGLISH.ngettext(singular, plural, n) % {"num": n, **values}


# Parsed once: Flask-Babel keeps a Locale it is given as it is, instead of parsing the
# code again on every request.
_LOCALES = {code: Locale.parse(code) for code in LANGUAGES}

babel = Babel()


def supported(code: str | None) -> str | None:
    code = (code or "").strip().lower()
    return code if code in LANGUAGES else None


def use_language(code: str | None) -> str:
    """Show this request's page in `code` (a contact's stored choice), if we have it."""
    g.page_lang = supported(code) or DEFAULT_LANGUAGE
    refresh()  # in case Flask-Babel chose a language earlier in this request
    return g.page_lang


def page_language() -> str:
    """The code of this request's language, as get_locale() gives it; cheaper once
    use_language() has chosen it (a parent page asks several times per request)."""
    return g.get("page_lang") or str(get_locale())


def _select_locale() -> Locale:
    return _LOCALES[_language_code()]


def _language_code() -> str:
    if not has_request_context():  # a job or the CLI: messages are written in English
        return DEFAULT_LANGUAGE
    chosen = g.get("page_lang")
    if chosen:
        return chosen
    asked = supported(request.args.get("lang"))
    if asked:
        return asked
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def current_language() -> Language:
    return LANGUAGES.get(str(get_locale()), LANGUAGES[DEFAULT_LANGUAGE])


def names_list(names) -> str:
    """['Amelia', 'Oscar', 'Ruby'] -> 'Amelia, Oscar and Ruby' in the page's language."""
    names = tuple(names)
    if not names:
        return ""
    return _format_list(names, page_language())


@lru_cache(maxsize=2048)
def _format_list(names: tuple[str, ...], code: str) -> str:
    """Babel parses the locale and its list patterns on every call; families repeat."""
    return format_list(list(names), locale="en_GB" if code == "en" else code)  # no Oxford comma


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/London")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=_select_locale)
    app.add_template_filter(names_list)
    app.jinja_env.globals["english_plural"] = english_plural  # staff text in message templates

    @app.context_processor
    def _language() -> dict:
        language = current_language()
        return {
            "page_lang": language.code,
            "page_dir": language.direction,
            "languages": LANGUAGES.values(),
        }
