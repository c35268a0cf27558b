"""The phone and email rules of messaging.addresses, remembered for the length of a process:
an import checks the same carer's mobile on every row it appears on (and the preview and the
commit check the whole file again), so each distinct value is parsed once."""

from __future__ import annotations

from functools import lru_cache

from parentlink.messaging.addresses import AddressError, normalise_email, normalise_mobile


@lru_cache(maxsize=20_000)
def _mobile(raw: str, allow_international: bool) -> tuple[str | None, str | None]:
    try:
        return normalise_mobile(raw, allow_international=allow_international), None
    except AddressError as exc:
        return None, str(exc)


@lru_cache(maxsize=20_000)
def _email(raw: str) -> tuple[str | None, str | None]:
    try:
        return normalise_email(raw), None
    except AddressError as exc:
        return None, str(exc)


def mobile(raw: str, allow_international: bool | None) -> str:
    if allow_international is None:  # the deployment's setting, read each time
        return normalise_mobile(raw, allow_international=None)
    value, error = _mobile(raw, allow_international)
    if error is not None:
        raise AddressError(error)
    return value


def email(raw: str) -> str:
    value, error = _email(raw)
    if error is not None:
        raise AddressError(error)
    return value
