"""Response templates: leaders keep them, officers insert them into a draft."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape

from routing.models import Case, ResponseTemplate
from routing.responses import placeholders_message
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
    # Units name their templates alike: each says whose it is.
    assert 'Mẫu phường</a> <span class="meta">(Phường Hoàn Kiếm)</span>' in body
    assert 'Mẫu thành phố</a> <span class="meta">(Thành phố Hà Nội)</span>' in body
    body = client.get(url, {"template": mine.pk}).content.decode()
    assert "Nội dung mẫu của phường.</textarea>" in body
    assert 'open id="action-submit_response"' in body


PLACEHOLDER_DRAFT = "Đơn vị đã chuyển nội dung đến [cơ quan]. Dự kiến hoàn thành trước ngày [ngày]."


def test_the_desk_refuses_a_response_with_unfilled_placeholders(client, case, cast):
    advance(case, "in_progress", cast)
    client.force_login(cast.officer)
    url = reverse("backoffice:backoffice-case-act", args=[case.pk, "submit_response"])
    response = client.post(
        url,
        {
            "submit_response-version": Case.objects.get(pk=case.pk).version,
            "submit_response-text": PLACEHOLDER_DRAFT,
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert escape(placeholders_message(["[cơ quan]", "[ngày]"])) in body
    case.refresh_from_db()
    assert case.state == "in_progress"


def test_a_leader_sees_where_the_placeholders_are_and_cannot_approve(client, case, cast):
    advance(case, "pending_approval", cast)
    Case.objects.filter(pk=case.pk).update(response_text=PLACEHOLDER_DRAFT)
    client.force_login(cast.leader)
    desk = reverse("backoffice:backoffice-case", args=[case.pk])
    body = client.get(desk).content.decode()
    assert '<mark class="placeholder">[cơ quan]</mark>' in body
    assert '<mark class="placeholder">[ngày]</mark>' in body
    version = Case.objects.get(pk=case.pk).version
    url = reverse("backoffice:backoffice-case-act", args=[case.pk, "approve"])
    response = client.post(url, {"approve-version": version})
    assert response.status_code == 400
    assert escape(placeholders_message(["[cơ quan]", "[ngày]"])) in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == "pending_approval"
