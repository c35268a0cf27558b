"""Whole pages rendered once per process and filled in per request.

A page that is the same for everyone sharing a key except a few values (a name, the link
token, the CSRF token) is rendered once with a slot marker in place of each value; later
requests join the kept parts with their own values, escaped with markupsafe.escape. The
values are put in after the split, so a value that looks like a marker is only text.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping

from markupsafe import escape

_MARK = "zqPLslot{}qz"  # letters only: unchanged by HTML escaping and URL building


def slot(name: str) -> str:
    """The marker standing for `name` (letters only) while the page is rendered."""
    if not name.isalpha():
        raise ValueError(f"slot names are letters only: {name!r}")
    return _MARK.format(name)


_SLOT = re.compile(_MARK.format("([a-zA-Z]+)"))


class FilledPage:
    """A rendered page split at its slot markers."""

    __slots__ = ("_parts", "slots")

    def __init__(self, html: str) -> None:
        self._parts = _SLOT.split(html)  # text, slot name, text, slot name, …, text
        self.slots = frozenset(self._parts[1::2])

    def fill(self, values: Mapping[str, str]) -> str:
        parts = self._parts[:]
        for i in range(1, len(parts), 2):
            parts[i] = escape(values[parts[i]])
        return "".join(parts)


class PageCache:
    """At most `size` pages, least recently used dropped first; safe across threads."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, FilledPage] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(
        self, key: Hashable, render: Callable[[], str], slots: frozenset[str]
    ) -> FilledPage | None:
        """The kept page for `key`, or `render()` kept. None (and nothing kept) if the
        rendered page lacks one of `slots`: the caller renders the page itself."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
        page = FilledPage(render())
        if page.slots != slots:
            return None
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return page

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)
