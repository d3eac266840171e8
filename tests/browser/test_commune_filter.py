"""The submit form's filter box over a long commune list: with or without accents, and typed accents count."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from routing.models import Level, Unit
from tests.conftest import Tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ["Phường Đống Đa", "Phường Hà Đông", "Xã Phù Đổng", "Xã Đông Anh", "Phường Láng"] + [
    f"Xã Thử Nghiệm {n}" for n in range(15)
]


def _options(page: Page) -> list[str]:
    return [text.strip() for text in page.locator("#id_commune option").all_inner_texts()[1:]]


def test_the_commune_filter_folds_accents_only_where_none_were_typed(page: Page, portal: Tree) -> None:
    for n, name in enumerate(NAMES):
        Unit.objects.create(code=f"WT{n:03d}", name=name, level=Level.COMMUNE, parent=portal.hanoi)
    page.goto("/submit/")
    page.locator("#id_province").select_option("P01")
    box = page.locator("[data-commune-filter] input")
    expect(box).to_be_visible()

    box.fill("dong")  # no accents typed: every spelling
    expect(page.locator("#id_commune option")).to_have_count(5)
    assert set(_options(page)) == {"Phường Đống Đa", "Phường Hà Đông", "Xã Phù Đổng", "Xã Đông Anh"}

    box.fill("Đống")  # the accents typed are the ones meant
    expect(page.locator("#id_commune option")).to_have_count(2)
    assert _options(page) == ["Phường Đống Đa"]

    box.fill("đông anh")
    expect(page.locator("#id_commune option")).to_have_count(2)
    assert _options(page) == ["Xã Đông Anh"]
