"""Officers see how many citizens co-signed a petition: on the desk and in the inbox, at no extra query."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from petitions.models import Petition


def test_the_desk_shows_the_number_of_cosigners_and_no_phone_of_theirs(
    client: Any, submit: Any, cast: Any
) -> None:
    case = submit(consent_publish=True).petition.case
    Petition.objects.filter(pk=case.petition_id).update(cosigner_count=3)
    client.force_login(cast.officer)
    page = client.get("/en" + reverse("backoffice:backoffice-case", args=[case.pk])).content.decode()
    assert "Co-signers" in page and "3 citizens with the same problem" in page
    client.force_login(cast.other_officer)
    assert client.get(reverse("backoffice:backoffice-case", args=[case.pk])).status_code == 404


def test_the_inbox_shows_cosigners_without_more_queries(
    client: Any, submit: Any, cast: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        submit(title=f"Phản ánh số {n}")
    client.force_login(cast.officer)
    inbox = "/en" + reverse("backoffice:backoffice-inbox")
    with django_assert_max_num_queries(11) as without:
        client.get(inbox)
    Petition.objects.update(cosigner_count=2)
    with django_assert_max_num_queries(len(without.captured_queries)):
        page = client.get(inbox).content.decode()
    assert page.count("2 co-signers") == 25
