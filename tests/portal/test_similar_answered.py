"""While a citizen types a title, answered petitions like it are suggested (published ones only)."""

from __future__ import annotations

from django.urls import reverse

from tests.conftest import advance, shape

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


def test_one_word_is_enough_and_unrelated_words_suggest_nothing(client, submit, cast):
    case = submit(title="Ngập lụt đường Láng", consent_publish=True).petition.case
    advance(case, "responded", cast)
    code = case.petition.tracking_code
    assert [r["code"] for r in client.get(URL, {"title": "ngập"}).json()["results"]] == [code]
    assert [r["code"] for r in client.get(URL, {"title": "đường"}).json()["results"]] == [code]
    assert client.get(URL, {"title": "đèn chiếu sáng hỏng"}).json() == {"results": []}


def _answered(submit, cast, title: str) -> str:
    case = submit(title=title, consent_publish=True).petition.case
    advance(case, "responded", cast)
    return case.petition.tracking_code


def _codes(client, title: str) -> list[str]:
    return [r["code"] for r in client.get(URL, {"title": title}).json()["results"]]


def test_two_letter_syllables_count(client, submit, cast):
    drain = _answered(submit, cast, "Nắp hố ga vỡ giữa lòng đường")
    assert _codes(client, "Nắp hố ga bị vỡ") == [drain]
    assert _codes(client, "nap ho ga") == [drain]


def test_words_typed_with_tone_marks_are_compared_as_spelled(client, submit, cast):
    drain = _answered(submit, cast, "Nắp hố ga vỡ giữa lòng đường")
    _answered(submit, cast, "Nuôi gà gây ô nhiễm khu dân cư")
    _answered(submit, cast, "Hồ nước bẩn")
    # "ga" (a drain) is not "gà" (a chicken), nor "hố" (a pit) "hồ" (a lake).
    assert _codes(client, "Hố ga mất nắp") == [drain]
    # Typed without marks, the words are compared without them.
    assert set(_codes(client, "ga")) == {drain, *_codes(client, "nuôi gà")}


def test_function_words_do_not_make_petitions_alike_and_shared_terms_come_first(client, submit, cast):
    flooded = _answered(submit, cast, "Đường Láng ngập nước kéo dài")
    storm = _answered(submit, cast, "Cây đổ sau mưa bão")  # newer, sharing "sau mưa"
    assert _codes(client, "Đường ngập nước sau mưa") == [flooded, storm]
    assert _codes(client, "sau khi của những") == []


def test_a_cut_response_can_be_read_in_full_without_personal_data(client, submit, cast):
    long_text = "Phường đã cử tổ công tác kiểm tra hiện trường. " * 12 + "Đã thay nắp hố ga mới."
    case = submit(title="Nắp hố ga vỡ giữa lòng đường", consent_publish=True).petition.case
    advance(case, "responded", cast)
    shape(case, response_text=long_text)
    short = submit(title="Hố ga bốc mùi", consent_publish=True, phone="0911 222 333").petition.case
    advance(short, "responded", cast)

    results = {r["code"]: r for r in client.get(URL, {"title": "hố ga"}).json()["results"]}
    cut = results[case.petition.tracking_code]
    assert cut["response"].endswith("…") and len(cut["response"]) <= 220
    assert cut["full_response"] == long_text
    assert results[short.petition.tracking_code]["full_response"] == ""
    assert set(cut) == {"code", "title", "response", "full_response", "date", "place"}
    body = client.get(URL, {"title": "hố ga"}).content.decode()
    assert "Nguyễn Văn An" not in body and "912345678" not in body and "911222333" not in body


def test_the_submit_page_labels_the_full_response_control(client, db):
    body = client.get("/en" + reverse("portal:portal-submit")).content.decode()
    assert 'data-similar-more="Read the whole response"' in body
