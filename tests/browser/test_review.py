"""The sign-off sheet (`psychoed review`) opened in chromium as the person who signs the content would: every
question with its answer beside the source passages it rests on, a box to sign for each, nothing fetched from
elsewhere, and a printout that keeps each item whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from bot import load_content
from bot.cli import main

CONTENT = load_content()
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"  # beside the checkout, as `make test` finds them


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("review") / "review.html"
    sources = ["--sources", str(SEEDS)] if SEEDS.is_dir() else []
    assert main(["review", *sources, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def page(browser: Browser, sheet: Path) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    requests: list[str] = []
    context.route("**/*", lambda route: (requests.append(route.request.url), route.continue_()))
    page = context.new_page()
    page.goto(sheet.as_uri())
    yield page, requests
    context.close()


def test_every_question_is_there_with_its_answer_and_a_box_to_sign(page: tuple[Page, list[str]]) -> None:
    view, _ = page
    for intent in CONTENT.intents:
        item = view.locator(f"#intent-{intent.id}")
        assert item.count() == 1, intent.id
        assert intent.question in item.inner_text()
        answer = " ".join(CONTENT.answers[intent.id].text.split()[:8])
        assert answer in " ".join(item.inner_text().split()), intent.id
    boxes = view.locator(".signoff").count()
    assert boxes == (len(CONTENT.intents) + len(CONTENT.classes) + len(CONTENT.safety.replies)
                     + len(CONTENT.safety.after_crisis))


def test_the_passages_are_quoted_beside_the_answer(page: tuple[Page, list[str]]) -> None:
    view, _ = page
    sourced = [a for a in CONTENT.answers.values() if a.passages]
    assert sourced, "the content names the passages its answers rest on"
    if not SEEDS.is_dir():  # no documents beside the checkout: the sheet says so, and shows the words it would find
        assert view.get_by_text("source documents were not given").count() == 1
        return
    found = view.locator("#intent-therapy_cbt blockquote mark")
    assert found.count() >= 1 and found.first.inner_text().strip()
    assert view.locator(".missing", has_text="Not found in the source").count() == 0


def test_escalation_replies_show_each_regions_numbers(page: tuple[Page, list[str]]) -> None:
    view, _ = page
    crisis = view.locator("#reply-crisis").inner_text()
    for region in CONTENT.safety.regions.values():
        assert region.name in crisis
        assert region.crisis_line.split()[-1].strip(").") in crisis or region.crisis_line in crisis


def test_it_is_self_contained_and_prints_each_item_whole(page: tuple[Page, list[str]], sheet: Path) -> None:
    view, requests = page
    assert requests == [sheet.as_uri()], requests  # no fonts, scripts or images from anywhere
    view.emulate_media(media="print")
    assert view.locator("section.item").first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    pdf = view.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
