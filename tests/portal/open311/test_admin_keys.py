"""Partners and their API keys in the admin: a key is shown once, only its hash is kept, rates are checked."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import translation

from petitions.models import Channel, Partner, PartnerKey, hash_token
from tests.portal.open311.conftest import BASE, post_request, request_data

KEY_ON_PAGE = re.compile(r'<code id="new-api-key">([A-Za-z0-9_-]{30,})</code>')


def test_an_admin_creates_a_key_that_is_shown_once_and_stored_as_a_hash(client, cast, tree, partner):
    client.force_login(cast.superuser)
    add = reverse("admin:petitions_partnerkey_add")
    assert client.get(f"{add}?partner={partner.pk}").status_code == 200
    response = client.post(add, {"partner": partner.pk, "label": "ứng dụng di động"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    match = KEY_ON_PAGE.search(response.content.decode())
    assert match is not None
    raw = match.group(1)
    # Not kept anywhere on the way: no message, no cookie, no session.
    assert raw not in str(response.cookies) and raw not in str(dict(client.session))

    key = PartnerKey.objects.get()
    assert key.key_hash == hash_token(raw) and key.prefix == raw[:8]
    assert raw not in str(PartnerKey.objects.values_list().get())
    # The key is never shown again.
    change = client.get(reverse("admin:petitions_partnerkey_change", args=[key.pk])).content.decode()
    assert raw not in change and key.prefix in change
    assert raw not in client.get(reverse("admin:petitions_partnerkey_changelist")).content.decode()

    # And it works.
    assert post_request(client, request_data(tree, raw)).status_code == 201
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_deactivating_a_key_in_the_admin_refuses_it(client, cast, tree, partner, api_key):
    client.force_login(cast.superuser)
    key = PartnerKey.objects.get()
    response = client.post(
        reverse("admin:petitions_partnerkey_change", args=[key.pk]), {"label": key.label, "is_active": ""}
    )
    assert response.status_code == 302
    assert client.get(f"{BASE}/requests.json", {"api_key": api_key}).status_code == 403


def test_keys_cannot_be_deleted_only_deactivated(client, cast, partner, api_key):
    client.force_login(cast.superuser)
    key = PartnerKey.objects.get()
    assert client.get(reverse("admin:petitions_partnerkey_delete", args=[key.pk])).status_code == 403


def test_a_partners_rate_limit_must_be_a_rate(client, cast, db):
    client.force_login(cast.superuser)
    add = reverse("admin:petitions_partner_add")
    fields = {"name": "Đối tác", "contact_email": "a@b.example", "is_active": "on"}
    for bad in ("fast", "120", "0/h", "120/week"):
        response = client.post(
            add, {**fields, "rate_limit": bad, "keys-TOTAL_FORMS": "0", "keys-INITIAL_FORMS": "0"}
        )
        assert response.status_code == 200, bad  # the form again, with the error
        assert not Partner.objects.exists()
    response = client.post(
        add, {**fields, "rate_limit": "30/5m", "keys-TOTAL_FORMS": "0", "keys-INITIAL_FORMS": "0"}
    )
    assert response.status_code == 302
    partner = Partner.objects.get()
    assert partner.rate_limit == "30/5m"
    page = client.get(reverse("admin:petitions_partner_change", args=[partner.pk])).content.decode()
    assert f"{reverse('admin:petitions_partnerkey_add')}?partner={partner.pk}" in page


def test_staff_without_admin_rights_cannot_manage_keys(client, cast, partner):
    client.force_login(cast.officer)
    response = client.get(reverse("admin:petitions_partnerkey_add"))
    assert response.status_code in (302, 403)


DEACTIVATE_INSTEAD = "cannot be deleted: untick active instead"


def _change_page(client, partner) -> str:
    with translation.override("en"):  # the admin's language comes from the URL's prefix
        url = reverse("admin:petitions_partner_change", args=[partner.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_partner_with_keys_offers_no_delete_and_says_to_deactivate(client, cast, partner, api_key):
    client.force_login(cast.superuser)
    delete = reverse("admin:petitions_partner_delete", args=[partner.pk])
    page = _change_page(client, partner)
    assert delete not in page and 'class="deletelink"' not in page
    assert DEACTIVATE_INSTEAD in page
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Partner.objects.filter(pk=partner.pk).exists() and PartnerKey.objects.exists()


def test_a_partner_that_filed_petitions_cannot_be_deleted_either(client, cast, submit, partner):
    submit(channel=Channel.OPEN311, partner=partner)
    client.force_login(cast.superuser)
    delete = reverse("admin:petitions_partner_delete", args=[partner.pk])
    page = _change_page(client, partner)
    assert delete not in page and DEACTIVATE_INSTEAD in page
    assert client.get(delete).status_code == 403


def test_a_partner_without_keys_or_petitions_can_be_deleted(client, cast, partner):
    client.force_login(cast.superuser)
    delete = reverse("admin:petitions_partner_delete", args=[partner.pk])
    page = _change_page(client, partner)
    assert delete in page and DEACTIVATE_INSTEAD not in page
    confirm = client.get(delete)
    assert confirm.status_code == 200
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Partner.objects.exists()


def test_the_partner_list_offers_no_bulk_delete(client, cast, partner, api_key):
    client.force_login(cast.superuser)
    page = client.get(reverse("admin:petitions_partner_changelist")).content.decode()
    assert "delete_selected" not in page
