"""State machines on the models: each model lists its allowed transitions in one table."""

from __future__ import annotations

import enum
from collections.abc import Mapping


class InvalidTransition(Exception):
    """A state change that the model does not allow (e.g. a status going backwards)."""


def check_transition(
    current: enum.Enum, target: enum.Enum, allowed: Mapping[enum.Enum, frozenset]
) -> None:
    if target not in allowed.get(current, frozenset()):
        raise InvalidTransition(f"{type(current).__name__}: {current.value} -> {target.value}")
