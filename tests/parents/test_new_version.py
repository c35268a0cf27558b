"""A parent who confirmed an older version sees what changed since."""

from __future__ import annotations

from tests.parents.family import (
    answers,
    relaunch_with_version_two,
    separated_parents,
    token_for,
)


def test_a_new_version_shows_what_changed_since_the_last_confirmation(app, client, tmp_path):
    first, never = separated_parents(app)
    page = client.get(f"/a/{first}").get_data(as_text=True)
    assert client.post(f"/a/{first}", data=answers(app, page)).status_code == 303
    relaunch_with_version_two(app, tmp_path)
    with app.app_context():
        second = token_for("C1")
        other = token_for("C2")
    assert second != first
    page = client.get(f"/a/{second}").get_data(as_text=True)
    assert "What changed since you last confirmed" in page
    assert "You confirmed version 1.0" in page and "This is version 2.0" in page
    assert "<del>1998</del>" in page and "<ins>2018 and UK GDPR</ins>" in page
    assert "New point" in page and "Please ask before you post photos" in page
    assert "Removed" in page and "<del>Please keep private anything" in page
    # the parent who never confirmed sees the new version without a comparison
    fresh = client.get(f"/a/{other}").get_data(as_text=True)
    assert "Please ask before you post photos" in fresh
    assert "What changed since you last confirmed" not in fresh
    assert client.post(f"/a/{second}", data=answers(app, page)).status_code == 303
    assert never != other
