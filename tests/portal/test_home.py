from __future__ import annotations

from django.urls import reverse


def test_home_page_lists_categories_in_vietnamese_by_default(client, db):
    response = client.get(reverse("portal:portal-home"))
    assert response.status_code == 200
    assert 'lang="vi"' in response.content.decode()
    assert "Môi trường, vệ sinh" in response.content.decode()


def test_home_page_in_english(client, db):
    response = client.get("/en/")
    assert response.status_code == 200
    assert "Environment and sanitation" in response.content.decode()
