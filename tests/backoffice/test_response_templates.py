"""Response templates: leaders keep them, officers insert them into a draft."""

from __future__ import annotations

from django.urls import reverse

from routing.models import ResponseTemplate
from tests.conftest import advance

URL = "/office/templates/"


def test_a_leader_adds_and_edits_a_template(client, cast, category):
    client.force_login(cast.leader)
    response = client.post(
        URL,
        {
            "title": "Đã thu gom rác",
            "text": "Phường đã thu gom rác tại địa điểm phản ánh.",
            "category": category.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    template = ResponseTemplate.objects.get()
    assert template.unit == cast.leader.membership.unit and template.updated_by == cast.leader
    response = client.post(
        URL, {"template_id": template.pk, "title": "Đã thu gom", "text": "Văn bản mới.", "is_active": ""}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.title, template.is_active, template.category) == ("Đã thu gom", False, None)


def test_an_officer_reads_but_cannot_edit_templates(client, cast):
    client.force_login(cast.officer)
    assert client.get(URL).status_code == 200
    response = client.post(URL, {"title": "X", "text": "Y", "is_active": "on"})
    assert response.status_code == 403
    assert ResponseTemplate.objects.count() == 0


def test_a_leader_cannot_edit_another_units_template(client, cast, tree):
    other = ResponseTemplate.objects.create(unit=tree.cua_nam, title="Của Cửa Nam", text="Nội dung")
    client.force_login(cast.leader)
    response = client.post(URL, {"template_id": other.pk, "title": "Sửa", "text": "Sửa", "is_active": "on"})
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.title == "Của Cửa Nam"


def test_templates_of_the_unit_and_above_are_offered_and_inserted(client, case, cast, tree, category):
    advance(case, "in_progress", cast)
    mine = ResponseTemplate.objects.create(
        unit=tree.hoan_kiem, category=category, title="Mẫu phường", text="Nội dung mẫu của phường."
    )
    ResponseTemplate.objects.create(
        unit=tree.hanoi, title="Mẫu thành phố", text="Nội dung mẫu của thành phố."
    )
    ResponseTemplate.objects.create(unit=tree.cua_nam, title="Mẫu phường khác", text="Không được thấy.")
    client.force_login(cast.officer)
    url = reverse("backoffice:backoffice-case", args=[case.pk])
    body = client.get(url).content.decode()
    assert "Mẫu phường" in body and "Mẫu thành phố" in body and "Mẫu phường khác" not in body
    body = client.get(url, {"template": mine.pk}).content.decode()
    assert "Nội dung mẫu của phường.</textarea>" in body
    assert 'open id="action-submit_response"' in body
