"""Which numbers and addresses can take our messages, with Ofcom's drama numbers (never
allocated to real lines) for every UK type, and the standard example numbers abroad."""

from __future__ import annotations

import pytest

from parentlink.messaging.addresses import (
    AddressError,
    display_mobile,
    normalise_email,
    normalise_mobile,
)


@pytest.mark.parametrize(
    "raw",
    ["07700 900123", "+44 7700 900123", "0044 7700 900123", "(07700) 900-123", " 07700900123 "],
)
def test_uk_mobiles_in_any_usual_form_become_e164(raw):
    assert normalise_mobile(raw) == "+447700900123"
    assert display_mobile(normalise_mobile(raw)) == "07700 900123"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("020 7946 0123", "is a landline"),  # Ofcom drama: London
        ("0113 496 0123", "is a landline"),  # Ofcom drama: Leeds
        ("0161 496 0000", "is a landline"),  # Ofcom drama: Manchester
        ("0808 157 0123", "is a freephone number"),
        ("0909 879 0123", "is a premium-rate number"),
        ("03069 990123", "is a company number"),
        ("07000 123456", r"personal \(07x0\) number"),
        ("07640 123456", "is a pager number"),
        ("07700 900 12", "is not a valid phone number"),
        ("07700 9001234", "is not a valid phone number"),
        ("07700 901000", "is not a valid phone number"),  # just outside the drama range
        ("call me", "is not a phone number"),
        ("", "no mobile number given"),
    ],
)
def test_numbers_that_cannot_take_a_text_are_refused_with_the_reason(raw, reason):
    with pytest.raises(AddressError, match=reason):
        normalise_mobile(raw)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("+33 6 12 34 56 78", "+33612345678"), ("+353 85 123 4567", "+353851234567")],
)
def test_international_mobiles_only_when_the_setting_allows(ctx, app, raw, e164):
    with pytest.raises(AddressError, match="international mobiles are turned off"):
        normalise_mobile(raw)
    app.config["ALLOW_INTERNATIONAL_MOBILES"] = True
    assert normalise_mobile(raw) == e164
    with pytest.raises(AddressError, match="is a landline"):
        normalise_mobile("+33 1 23 45 67 89")


def test_crown_dependency_mobiles_are_uk_numbers():
    assert normalise_mobile("07624 123456") == "+447624123456"  # Isle of Man


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("Carer1@Example.com", "Carer1@example.com"), (" parent@example.com ", "parent@example.com")],
)
def test_email_addresses_are_normalised_without_network_lookups(raw, normalised):
    assert normalise_email(raw) == normalised


@pytest.mark.parametrize("raw", ["parent@", "parent example.com", "a@b", "parent@@example.com"])
def test_bad_email_addresses_are_refused(raw):
    with pytest.raises(AddressError, match="is not a valid email address"):
        normalise_email(raw)
