"""A school adds a translation of a version's parent clauses; the English stays binding."""

from __future__ import annotations

from sqlalchemy import func, select

from parentlink.agreements.models import ClauseTranslation
from parentlink.db import db
from tests.builders import csrf_token
from tests.parents.family import separated_parents

POLISH = """
[translation]
agreement = "social-media"
label = "1.0"
language = "pl"

[[clauses]]
key = "keep-to-the-law-online"
summary = "Prosimy przestrzegać prawa w internecie."
body = "Rodzice i opiekunowie nie mogą łamać prawa ani ujawniać poufnych informacji szkoły."
"""


def _translations() -> int:
    return db.session.scalar(select(func.count(ClauseTranslation.id)))


def test_a_loaded_translation_is_shown_beside_the_binding_english(app, client, tmp_path):
    token, _ = separated_parents(app)
    english = client.get(f"/a/{token}").get_data(as_text=True)  # cached before the translation
    file = tmp_path / "pl.toml"
    file.write_text(POLISH, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["agreement", "translate", str(file)])
    assert result.exit_code == 0, result.output
    assert "1 clause translated" in result.output
    client.post(f"/a/{token}/language", data={"csrf_token": csrf_token(english), "lang": "pl"})
    polish = client.get(f"/a/{token}").get_data(as_text=True)
    assert "Prosimy przestrzegać prawa w internecie." in polish
    assert "Rodzice i opiekunowie nie mogą łamać prawa" in polish
    assert 'href="?lang=en#p1"' in polish  # one tap to the binding English wording
    assert "they must ensure that they do not breach the law" not in polish  # kept light
    assert "completely confidential" in polish  # a clause of point 1 not translated
    english_view = client.get(f"/a/{token}?lang=en").get_data(as_text=True)
    assert "they must ensure that they do not breach the law" in english_view
    assert "Zgadzam się na te punkty" in client.get(f"/a/{token}").get_data(as_text=True)
    assert "Don&#39;t link your own sites" in polish  # untranslated points stay English
    assert "Prosimy przestrzegać" not in english
    # loading again replaces, never duplicates
    app.test_cli_runner().invoke(args=["agreement", "translate", str(file)])
    with app.app_context():
        assert _translations() == 1


def test_a_bad_translation_file_is_explained_and_writes_nothing(app, tmp_path):
    separated_parents(app)
    runner = app.test_cli_runner()
    cases = {
        POLISH.replace(
            "keep-to-the-law-online", "staff-use-privacy-settings"
        ): "not a parent clause",
        POLISH.replace(
            'language = "pl"', 'language = "en"'
        ): "language must be one of pl, ro, pt, ur, ar, bn",
        POLISH.replace('label = "1.0"', 'label = "9.9"'): "no version 9.9",
        POLISH.replace(
            'summary = "Prosimy przestrzegać prawa w internecie."', 'summary = ""'
        ): "needs summary and body",
    }
    for number, (text, reason) in enumerate(cases.items()):
        file = tmp_path / f"bad{number}.toml"
        file.write_text(text, encoding="utf-8")
        result = runner.invoke(args=["agreement", "translate", str(file)])
        assert result.exit_code != 0 and reason in result.output, result.output
    with app.app_context():
        assert _translations() == 0
