"""Narrow screens (issue #12 item 8), in real headless Chromium at 800 px (half a laptop screen, a
tablet) and 390 px (a phone), in English and Arabic: no main page sticks out to the side, the top
bar collapses into one row with a menu button that opens it (keyboard too, and on the correct side
in right-to-left), and a wide table scrolls inside its own box. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from labtrack.models import StorageLocation
from labtrack.services import demo
from labtrack.web import NAVIGATION
from labtrack.web.access import ADMIN, ANALYST, COORDINATOR, TECHNICIAN
from tests import review_factories
from tests.browser.pages import horizontal_overflow, signed_in_page
from tests.pdf_text import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture
def pages(db: Session, users: dict) -> dict[str, str]:
    """The main pages over the demo data and one candidate match, by a short name."""
    demo.load_demo(db)
    candidate = review_factories.make_candidate(db, users["admin"].user, log10_lr=-0.151)
    room = db.exec(select(StorageLocation).order_by(col(StorageLocation.id))).first()  # holds a freezer
    assert room is not None
    return {
        "home": "/",
        "sites": "/sites/",
        "site-and-remains-list": f"/sites/{candidate.site.code}",
        "remains": f"/sites/remains/{candidate.remains.accession}",
        "samples": "/samples/",
        "review-queue": "/review/",
        "review-match": f"/review/matches/{candidate.match.id}",
        "scanning-station": "/custody/station",
        "profiles": "/profiles/",
        "match-runs": "/matching/",
        "storage-location": f"/storage/{room.accession}",
    }


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("width", [390, 800])
def test_no_main_page_sticks_out_to_the_side(app: Flask, users: dict, pages: dict[str, str], live_server: str,
                                             chromium, width: int, language: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = signed_in_page(chromium, live_server, users["admin"], language=language, width=width)
    for name, path in pages.items():
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, path
        assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
        assert horizontal_overflow(page) <= 0, f"{path} at {width} px ({language}) is wider than the window"
        # the bar is one row: the menu button beside the name of the system, the areas hidden
        assert page.locator("#menu-toggle").is_visible(), path
        assert not page.locator("nav.areas").is_visible(), path
        page.screenshot(path=str(ARTIFACTS / f"responsive-{width}px-{language}-{name}.png"), full_page=True)


@pytest.mark.parametrize(("language", "width"), [("en", 390), ("ar", 390), ("ar", 800)])
def test_the_menu_button_opens_the_bar_by_mouse_and_keyboard(app: Flask, users: dict, pages: dict[str, str],
                                                              live_server: str, chromium, language: str,
                                                              width: int) -> None:
    page = signed_in_page(chromium, live_server, users["admin"], language=language, width=width)
    page.goto(f"{live_server}/review/")
    toggle, areas, header = page.locator("#menu-toggle"), page.locator("nav.areas"), page.locator("header")
    brand = page.locator("header .brand").bounding_box()
    button = toggle.bounding_box()
    assert brand is not None and button is not None
    # one row: the name and the button side by side, the bar no taller than the button and its padding
    assert abs((brand["y"] + brand["height"] / 2) - (button["y"] + button["height"] / 2)) < 4
    assert header.bounding_box()["height"] < 2 * button["height"]
    # the name of the system at the start of the line, the button at its end: right to left in Arabic
    if language == "ar":
        assert button["x"] + button["width"] < brand["x"]
    else:
        assert brand["x"] + brand["width"] < button["x"]
    assert button["x"] >= 0 and button["x"] + button["width"] <= width
    assert toggle.get_attribute("aria-expanded") == "false" and not areas.is_visible()
    assert not page.locator("header form.find").is_visible()

    # by keyboard: Tab from the name reaches the button, Enter opens, Tab enters the menu, Escape closes
    page.locator("header .brand").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "menu-toggle"
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and areas.is_visible()
    assert page.locator("header form.find").is_visible() and page.locator("header .account").is_visible()
    links = areas.locator("a")
    assert links.count() >= 10  # an administrator sees every area
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, links.nth(index).inner_text()
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(ARTIFACTS / f"responsive-{width}px-{language}-menu-open.png"), full_page=True)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('nav.areas') !== null")
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not areas.is_visible()
    assert page.evaluate("() => document.activeElement.id") == "menu-toggle"
    page.keyboard.press("Space")
    assert toggle.get_attribute("aria-expanded") == "true" and areas.is_visible()

    # by mouse: the open menu leads to its pages; a click on the button closes it
    toggle.click()
    assert not areas.is_visible()
    toggle.click()
    page.locator("nav.areas a", has_text="العينات" if language == "ar" else "Samples").click()
    page.wait_for_url(f"{live_server}/samples/")
    assert page.locator("#menu-toggle").get_attribute("aria-expanded") == "false"  # a new page starts closed


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_wide_table_scrolls_inside_its_box(app: Flask, users: dict, pages: dict[str, str], live_server: str,
                                             chromium, language: str) -> None:
    page = signed_in_page(chromium, live_server, users["admin"], language=language, width=390)
    page.goto(f"{live_server}/review/")
    table = page.locator("table#queue")
    sizes = table.evaluate("t => ({scroll: t.scrollWidth, client: t.clientWidth})")
    assert sizes["scroll"] > sizes["client"] + 100, sizes  # eleven columns do not fit 390 px
    box = table.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    # it scrolls: the last column comes into view inside the box, the page itself does not move
    table.evaluate("t => { t.scrollLeft = (getComputedStyle(t).direction === 'rtl' ? -1 : 1) * t.scrollWidth; }")
    last = table.locator("thead th").last.bounding_box()
    assert last is not None and last["x"] >= box["x"] - 1 and last["x"] + last["width"] <= box["x"] + box["width"] + 1
    assert horizontal_overflow(page) <= 0 and page.evaluate("() => window.scrollX") == 0
    page.screenshot(path=str(ARTIFACTS / f"responsive-390px-{language}-review-queue-scrolled.png"), full_page=True)


def _areas_of(role: str) -> list[str]:
    return [str(label) for _endpoint, label, roles in NAVIGATION if role in roles]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_administrators_crowded_bar_collapses_on_a_wide_screen(app: Flask, users: dict, live_server: str,
                                                                  chromium, language: str) -> None:
    """Seventeen areas do not fit 1,280 px (they wrapped into five rows): the bar collapses behind the menu
    button, in one row, and every area is reachable from it by keyboard and by mouse."""
    page = signed_in_page(chromium, live_server, users["admin"], language=language, width=1280)
    page.goto(f"{live_server}/review/")
    toggle, areas, header = page.locator("#menu-toggle"), page.locator("nav.areas"), page.locator("header")
    assert toggle.is_visible() and not areas.is_visible() and not page.locator("header form.find").is_visible()
    brand, button = page.locator("header .brand").bounding_box(), toggle.bounding_box()
    assert brand is not None and button is not None
    assert header.bounding_box()["height"] < 2 * button["height"]  # one row
    if language == "ar":
        assert button["x"] + button["width"] < brand["x"]
    else:
        assert brand["x"] + brand["width"] < button["x"]

    page.locator("header .brand").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "menu-toggle"
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and areas.is_visible()
    links = areas.locator("a")
    assert links.count() == len(_areas_of(ADMIN)) == 17
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= 1280, links.nth(index).inner_text()
        assert box["y"] + box["height"] <= 900, links.nth(index).inner_text()  # no scrolling to reach it
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(ARTIFACTS / f"responsive-1280px-{language}-admin-menu-open.png"), full_page=True)
    # by keyboard to the last area (every one is a stop of the Tab order)
    for _ in range(links.count()):
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "/admin/audit"
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not areas.is_visible()
    toggle.click()
    links.last.click()
    page.wait_for_url(f"{live_server}/admin/audit")
    assert page.locator("#menu-toggle").is_visible()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_bar_that_fits_stays_open_and_collapses_when_the_window_shrinks(app: Flask, users: dict,
                                                                          live_server: str, chromium,
                                                                          language: str) -> None:
    page = signed_in_page(chromium, live_server, users["admin"], language=language, width=2400)
    links = page.locator("nav.areas a")
    assert not page.locator("#menu-toggle").is_visible() and links.count() == len(_areas_of(ADMIN))
    assert page.locator("header form.find").is_visible()
    tops = [links.nth(index).bounding_box()["y"] for index in range(links.count())]
    assert max(tops) - min(tops) < 2, tops  # one row
    # the same screen with too many areas for its width collapses (measured again on resize)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_function("() => document.getElementById('topbar').classList.contains('crowded')")
    assert page.locator("#menu-toggle").is_visible() and not page.locator("nav.areas").is_visible()
    page.set_viewport_size({"width": 2400, "height": 900})
    page.wait_for_function("() => !document.getElementById('topbar').classList.contains('crowded')")
    assert not page.locator("#menu-toggle").is_visible() and page.locator("nav.areas").is_visible()


def test_pages_without_javascript_keep_the_bar_open(app: Flask, users: dict, live_server: str, chromium) -> None:
    # without JavaScript nothing collapses: the bar wraps, every area stays one tap away
    for width in (390, 1280):
        plain = signed_in_page(chromium, live_server, users["admin"], language="ar", width=width, javascript=False)
        assert not plain.locator("#menu-toggle").is_visible() and plain.locator("nav.areas").is_visible()
        assert plain.locator("nav.areas a").count() == 17 and plain.locator("nav.areas a").last.is_visible()


def test_the_menu_opens_by_keyboard_at_the_scanning_station(app: Flask, users: dict, live_server: str,
                                                            chromium) -> None:
    """The station sends keys typed outside a field to the scan input; Space on the menu button still opens it."""
    page = signed_in_page(chromium, live_server, users["technician"], language="ar", width=390)
    page.goto(f"{live_server}/custody/station")
    page.locator("#menu-toggle").focus()
    page.keyboard.press("Space")
    assert page.locator("#menu-toggle").get_attribute("aria-expanded") == "true"
    assert page.locator("nav.areas").is_visible() and page.input_value("#scan") == ""
    page.keyboard.press("Escape")
    assert not page.locator("nav.areas").is_visible()


def _box(page, selector: str) -> dict:  # noqa: ANN001
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box


def _overlap(one: dict, other: dict) -> bool:
    return (one["x"] < other["x"] + other["width"] and other["x"] < one["x"] + one["width"]
            and one["y"] < other["y"] + other["height"] and other["y"] < one["y"] + one["height"])


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_bar_on_a_desktop_is_two_tidy_rows_or_collapsed(app: Flask, users: dict, live_server: str, chromium,
                                                           language: str) -> None:
    """From 1,280 to 1,600 px every role but the administrator sees its areas in one row of their own below
    the name, search box and account (no more hidden behind the menu button); the administrator's seventeen
    areas do not fit one row, so the bar collapses into one row with the button. Nothing wraps, nothing
    overlaps, the page never sticks out to the side."""
    for role in (TECHNICIAN, ANALYST, COORDINATOR, ADMIN):
        for width in (1280, 1440, 1600):
            page = signed_in_page(chromium, live_server, users[role], language=language, width=width)
            where = f"{role} at {width} px ({language})"
            page.goto(f"{live_server}/samples/" if role != COORDINATOR else f"{live_server}/sites/")
            assert horizontal_overflow(page) <= 0, where
            toggle, links = page.locator("#menu-toggle"), page.locator("nav.areas a")
            brand = _box(page, "header .brand")
            if toggle.is_visible():  # collapsed: one row, the areas a click away, each in its own cell
                assert role == ADMIN, where  # only the administrator's areas are too many for one row
                assert _box(page, "header")["height"] < 2 * _box(page, "#menu-toggle")["height"], where
                assert not page.locator("nav.areas").is_visible(), where
                toggle.click()
            else:
                # first row: name, search box and account side by side, inside the window
                first_row = [brand, _box(page, "header form.find"), _box(page, "header .account")]
                for box in first_row:
                    assert box["x"] >= 0 and box["x"] + box["width"] <= width, where
                    assert abs((box["y"] + box["height"] / 2) - (brand["y"] + brand["height"] / 2)) < 8, where
                assert _box(page, "header .account")["height"] < 2 * _box(page, "header form.find")["height"], where
            boxes = [links.nth(index).bounding_box() for index in range(links.count())]
            assert len(boxes) == len(_areas_of(role)) and all(boxes), where
            for index, box in enumerate(boxes):
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (where, index)
                for other in boxes[index + 1:]:
                    assert not _overlap(box, other), (where, index)
            if not toggle.is_visible():
                tops = {round(box["y"]) for box in boxes}
                assert len(tops) == 1, (where, tops)  # one row of areas
                assert min(box["y"] for box in boxes) >= brand["y"] + brand["height"], where  # below the first row
                # in the reading order of the language: left to right in English, right to left in Arabic
                starts = [box["x"] for box in boxes]
                assert starts == sorted(starts, reverse=language == "ar"), where
            assert horizontal_overflow(page) <= 0, where
            page.screenshot(path=str(ARTIFACTS / f"responsive-{width}px-{language}-{role}-bar.png"))
            page.context.close()
