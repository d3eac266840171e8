"""The case document carries the public facts of a case and nothing personal."""

from __future__ import annotations

import json

from routing import services
from search.documents import DOCUMENT_FIELDS, document_rows, documents, fold, row_document


def test_a_document_has_exactly_the_documented_fields_and_no_personal_data(submit, cast):
    result = submit(
        email="an.nguyen@example.vn",
        address="Số 12 ngõ Hàng Bông",
        title="Ngập lụt đường Hàng Bông",
        latitude="21.0285",
        longitude="105.8542",
    )
    case = result.petition.case
    services.case_add_note(case_id=case.pk, actor=cast.officer, text="Ghi chú nội bộ bí mật", is_public=False)
    [document] = list(documents([case.pk]))
    assert set(document) == set(DOCUMENT_FIELDS)
    raw = json.dumps(document, ensure_ascii=False)
    for personal in (
        "Nguyễn Văn An",
        "+84912345678",
        "912345678",
        "an.nguyen@example.vn",
        "Số 12 ngõ",
        "bí mật",
    ):
        assert personal not in raw, personal
    assert document["unit_path"] == "/TW/P01/W00070/" and document["province_code"] == "P01"
    assert document["location"] == {"lat": 21.0285, "lon": 105.8542}


def test_documents_load_in_one_query_per_batch(submit, django_assert_num_queries):
    ids = [submit(phone=f"09123456{i:02d}").petition.case.pk for i in range(5)]
    with django_assert_num_queries(1):
        assert len([row_document(row) for row in document_rows(ids)]) == 5


def test_folding_removes_tones_and_maps_d_bar():
    assert fold("Ngập LỤT đường Đông") == "ngap lut duong dong"
