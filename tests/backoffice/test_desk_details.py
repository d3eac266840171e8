"""Small things officers meet every day: similar cases, where the inbox opens, signing in and out."""

from __future__ import annotations

from django.urls import reverse

from routing import services
from search.base import SearchUnavailable
from search.database import DatabaseBackend
from tests.conftest import advance


def desk(case):
    return reverse("backoffice:backoffice-case", args=[case.pk])


def test_similar_cases_sharing_title_words_are_listed_with_one_click_to_mark_a_duplicate(
    client, case, cast, submit, tree
):
    same_commune = submit(title="Rác thải ùn ứ phố Hàng Bông lần nữa").petition.case
    other_commune = submit(commune=tree.cua_nam).petition.case  # the very same title
    other_province = submit(commune=tree.ben_thanh).petition.case
    client.force_login(cast.officer)
    response = client.get(desk(case))
    similar = response.context["similar"]
    assert [hit.case_id for hit in similar] == [same_commune.pk]  # officers see their own unit's cases only
    body = response.content.decode()
    assert same_commune.petition.title in body and "Phường Hoàn Kiếm" in body
    link = f"{desk(case)}?duplicate_of={same_commune.petition.tracking_code}#action-mark_duplicate"
    assert link.replace("&", "&amp;") in body or link in body
    assert f'href="{desk(same_commune)}"' in body
    prefilled = client.get(f"{desk(case)}?duplicate_of={same_commune.petition.tracking_code}")
    assert prefilled.context["open_action"] == "mark_duplicate"
    assert same_commune.petition.tracking_code in prefilled.content.decode()

    client.force_login(cast.province_leader)
    seen = [hit.case_id for hit in client.get(desk(case)).context["similar"]]
    # Most shared title words first: the same title (Cửa Nam) before the similar one.
    assert seen == [other_commune.pk, same_commune.pk]
    assert other_province.pk not in seen
    assert client.get(desk(case)).context["can_mark_duplicate"] is False


def test_the_desk_opens_without_similar_cases_when_search_is_down(client, case, cast, submit, monkeypatch):
    submit(title="Rác thải ùn ứ phố Hàng Bông lần nữa")

    def down(self, **kwargs):
        raise SearchUnavailable("search is down")

    monkeypatch.setattr(DatabaseBackend, "similar", down)
    client.force_login(cast.officer)
    response = client.get(desk(case))
    assert response.status_code == 200
    assert response.context["similar"] == []
    assert case.petition.tracking_code in response.content.decode()


def test_a_leader_opens_the_inbox_on_what_waits_for_approval(client, case, cast):
    advance(case, "pending_approval", cast)
    client.force_login(cast.leader)
    assert client.get(reverse("backoffice:backoffice-inbox")).context["tab"] == "approval"
    client.force_login(cast.officer)
    assert client.get(reverse("backoffice:backoffice-inbox")).context["tab"] == "mine"


def test_a_responded_case_shows_the_citizens_feedback_window_not_a_deadline(client, case, cast):
    advance(case, "responded", cast)
    client.force_login(cast.leader)
    response = client.get(desk(case))
    assert response.context["deadline_tone"] == "waiting"
    assert "deadline-overdue" not in response.content.decode()


def test_template_links_point_at_the_desk_even_after_a_form_error(client, case, cast):
    advance(case, "in_progress", cast)
    template = services.response_template_save(actor=cast.leader, title="Cảm ơn", text="Cảm ơn ông/bà.")
    client.force_login(cast.officer)
    url = reverse("backoffice:backoffice-case-act", args=[case.pk, "submit_response"])
    response = client.post(
        url, {"submit_response-version": str(case.version + 1), "submit_response-text": ""}
    )
    assert response.status_code == 400
    assert f'href="{desk(case)}?template={template.pk}#action-submit_response"' in response.content.decode()


def test_a_wrong_password_keeps_the_username_and_signing_out_says_so(client, cast):
    url = reverse("backoffice:backoffice-login")
    response = client.post(url, {"username": "officer", "password": "wrong-password"})
    assert 'value="officer"' in response.content.decode()
    client.force_login(cast.officer)
    response = client.post(reverse("backoffice:backoffice-logout"), follow=True)
    assert response.redirect_chain[-1][0].endswith(url)
    assert [m.level_tag for m in response.context["messages"]] == ["info"]
