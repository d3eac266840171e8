from __future__ import annotations

from django.urls import reverse

from routing.models import CaseState
from tests.conftest import advance


def test_home_page_is_in_vietnamese_by_default_with_submit_and_track(client, db):
    response = client.get(reverse("portal:portal-home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="vi"' in body
    assert 'href="/submit/"' in body
    assert 'action="/track/"' in body


def test_home_page_in_english(client, db):
    response = client.get("/en/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="en"' in body
    assert "Submit a petition" in body


def test_language_choice_is_remembered(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code in (200, 302)
    assert client.cookies["django_language"].value == "en"


def test_home_page_shows_headline_numbers(client, submit, cast):
    submit()
    advance(submit().petition.case, CaseState.RESPONDED, cast)
    body = client.get("/en/").content.decode()
    assert "Received" in body
    stats = body.split("Last 30 days", 1)[1]
    assert "<dd>2</dd>" in stats
    assert "<dd>1</dd>" in stats


def test_statistics_page_lists_numbers_and_consented_responses(
    client, submit, cast, django_assert_max_num_queries
):
    consenting = submit(consent_publish=True, title="Đường ngập sau mưa")
    private = submit(consent_publish=False, title="Chuyện riêng không công bố")
    advance(consenting.petition.case, CaseState.RESPONDED, cast)
    advance(private.petition.case, CaseState.RESPONDED, cast)
    # 14, and the rollups' state (routing.rollups), which the process holds for a minute.
    with django_assert_max_num_queries(15):
        response = client.get("/en/statistics/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Đường ngập sau mưa" in body
    assert "Chuyện riêng không công bố" not in body
    assert "Thành phố Hà Nội" in body
    assert "+84912345678" not in body and "Nguyễn Văn An" not in body
