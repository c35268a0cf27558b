"""Browser steps for the parent journeys: a phone-sized Chromium page, axe-core checks, the
page's weight and where it fetched from, and screenshots to look at."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "parents"
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"  # axe-core, MPL-2.0
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa", "best-practice"]
BUDGET = 30 * 1024


def new_phone(browser, *, width: int = 360, javascript: bool = True):
    """A small phone. CSP is bypassed only so that the test can inject axe-core; the
    page itself runs no script (its CSP is checked in the HTTP tests)."""
    context = browser.new_context(
        viewport={"width": width, "height": 740},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=javascript,
        bypass_csp=True,
    )
    page = context.new_page()
    page.loaded = []  # (url, bytes) of every response while on the page
    page.on("requestfinished", lambda request: page.loaded.append(_size(request)))
    return page


def _size(request) -> tuple[str, int]:
    response = request.response()
    if response is None or 300 <= response.status < 400:  # a redirect has no body to weigh
        return request.url, 0
    return request.url, len(response.body())


def visit(page, url: str):
    page.loaded.clear()
    response = page.goto(url)
    page.wait_for_load_state("load")
    return response


LOGO_BUDGET = 10 * 1024


def assert_light_and_local(page, base: str) -> int:
    """≤ 30 KB of HTML and CSS in all (the school's logo, a separate request, ≤ 10 KB more),
    nothing from another host, no script, no web font."""
    host = urlsplit(base).netloc
    assert page.loaded, "no responses recorded"
    assert all(urlsplit(url).netloc == host for url, _ in page.loaded), page.loaded
    assert not any(url.endswith((".js", ".woff", ".woff2", ".ttf")) for url, _ in page.loaded)
    logos = [size for url, size in page.loaded if "/school-logo/" in url]
    assert all(size <= LOGO_BUDGET for size in logos) and len(logos) <= 1, page.loaded
    total = sum(size for url, size in page.loaded if "/school-logo/" not in url)
    assert total <= BUDGET, (total, page.loaded)
    assert page.locator("script").count() == 0
    return total


def assert_accessible(page, state: str) -> None:
    """axe-core with the WCAG 2.2 AA and best-practice rules: no violations; and every id
    used once (axe-core 4.7 retired its duplicate-id rules, so this checks it itself)."""
    page.wait_for_load_state()  # the stylesheets too: sizes and contrast depend on them
    assert duplicate_ids(page) == [], (state, "ids used more than once")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
            }));
        }""",
        AXE_TAGS,
    )
    assert violations == [], (state, violations)


def duplicate_ids(page) -> list[str]:
    return page.evaluate(
        """() => {
            const seen = new Map();
            for (const el of document.querySelectorAll('[id]')) {
                seen.set(el.id, (seen.get(el.id) || 0) + 1);
            }
            return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
        }"""
    )


_FITS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
_WIDER = """() => { const w = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > w + 0.5)
    .slice(0, 5)
    .map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right); }"""


def fits_the_width(page) -> bool:
    """Nothing scrolls sideways. On a machine this busy, layout can still be settling when
    "load" fires (seen once, not reproducible alone): a second look after a moment decides,
    and a page that is still too wide names what sticks out."""
    if page.evaluate(_FITS):
        return True
    page.wait_for_timeout(500)
    if page.evaluate(_FITS):
        return True
    print("wider than the screen:", page.url, page.evaluate(_WIDER))
    return False


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-screen.png"))  # what the phone shows


AGREE = "I agree to these points"


def agree_to_all(page, name: str, *, agree: str = AGREE) -> int:
    """Agree to everything as a parent does: tap the name box, type, tap the button.
    Returns the number of taps."""
    page.locator("#typed_name").tap()  # every phone here has a touch screen
    page.keyboard.type(name)
    page.get_by_role("button", name=agree).tap()
    return 2


def visible_words(page) -> int:
    """Words a parent sees before opening anything (closed <details> are not rendered)."""
    return page.evaluate("document.body.innerText.split(/\\s+/).filter(Boolean).length")


def screens(page) -> float:
    """The page's height in screens of the phone it is shown on."""
    return page.evaluate(
        "document.documentElement.scrollHeight / document.documentElement.clientHeight"
    )
