"""While a citizen types a title, answered petitions like it are suggested (published ones only)."""

from __future__ import annotations

from django.urls import reverse

from tests.conftest import advance

URL = reverse("portal:portal-similar")


def test_answered_petitions_with_consent_are_suggested_without_personal_data(client, submit, cast):
    published = submit(title="Ngập lụt đường Láng sau mưa lớn", consent_publish=True).petition.case
    advance(published, "responded", cast)
    private = submit(title="Ngập lụt đường Láng kéo dài", phone="0987 654 321").petition.case
    advance(private, "responded", cast)
    submit(title="Ngập lụt đường Láng chưa xử lý", consent_publish=True, phone="0911 222 333")  # not answered

    response = client.get(URL, {"title": "ngap lut duong lang"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["code"] for r in results] == [published.petition.tracking_code]
    assert results[0]["response"] == "Đã xử lý xong."
    body = response.content.decode()
    assert "Nguyễn Văn An" not in body and "912345678" not in body


def test_a_title_of_one_word_or_unrelated_words_suggests_nothing(client, submit, cast):
    case = submit(title="Ngập lụt đường Láng", consent_publish=True).petition.case
    advance(case, "responded", cast)
    assert client.get(URL, {"title": "ngập"}).json() == {"results": []}
    assert client.get(URL, {"title": "đèn chiếu sáng hỏng"}).json() == {"results": []}
