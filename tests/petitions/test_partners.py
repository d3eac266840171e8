"""Partners filing petitions: keys (hash only, last use), petition_submit's partner and media link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from petitions.models import Channel, Partner, PartnerKey, Petition, validate_rate
from petitions.services import partner_key_authenticate


@pytest.fixture
def partner(db):
    return Partner.objects.create(name="Phố Xanh", contact_email="dev@phoxanh.example")


def _key(partner):
    raw = PartnerKey.generate()
    key = PartnerKey(partner=partner)
    key.set_key(raw)
    key.save()
    return raw, key


def test_a_key_is_found_by_its_hash_and_only_while_it_and_its_partner_are_active(partner):
    raw, key = _key(partner)
    assert len(raw) >= 40 and raw not in (key.key_hash, key.prefix)
    assert partner_key_authenticate(key=raw) == key
    assert partner_key_authenticate(key=raw[:-1]) is None
    assert partner_key_authenticate(key="") is None
    PartnerKey.objects.update(is_active=False)
    assert partner_key_authenticate(key=raw) is None
    PartnerKey.objects.update(is_active=True)
    Partner.objects.update(is_active=False)
    assert partner_key_authenticate(key=raw) is None


def test_last_use_is_written_at_most_once_a_minute(partner):
    raw, _ = _key(partner)
    now = timezone.now()
    partner_key_authenticate(key=raw, now=now)
    partner_key_authenticate(key=raw, now=now + dt.timedelta(seconds=30))
    assert PartnerKey.objects.get().last_used_at == now
    later = now + dt.timedelta(minutes=2)
    partner_key_authenticate(key=raw, now=later)
    assert PartnerKey.objects.get().last_used_at == later


@pytest.mark.parametrize("rate", ["120/h", "10/m", "1000/d", "30/5m", "1/s"])
def test_rates_ratelimit_understands_are_accepted(rate):
    validate_rate(rate)


@pytest.mark.parametrize("rate", ["", "fast", "120", "0/h", "120/week", "-1/h", "1/0m"])
def test_anything_else_is_not_a_rate(rate):
    with pytest.raises(ValidationError):
        validate_rate(rate)


def test_a_petition_remembers_the_partner_and_the_media_link(submit, partner):
    petition = submit(
        channel=Channel.OPEN311, partner=partner, media_url=" https://cdn.example/p/1.jpg "
    ).petition
    petition.refresh_from_db()
    assert petition.partner == partner and petition.media_url == "https://cdn.example/p/1.jpg"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x.example/a", "not a url"]
)
def test_only_web_links_are_accepted_as_media(submit, url):
    with pytest.raises(ValidationError) as error:
        submit(media_url=url)
    assert "media_url" in error.value.message_dict
    assert not Petition.objects.exists()


def test_an_inactive_partner_cannot_file(submit, partner):
    partner.is_active = False
    partner.save()
    with pytest.raises(ValidationError) as error:
        submit(channel=Channel.OPEN311, partner=partner)
    assert "partner" in error.value.message_dict


def test_idempotent_retries_without_a_partner_still_match(submit):
    first = submit(idempotency_key="web-1")
    again = submit(idempotency_key="web-1")
    assert again.created is False and again.petition == first.petition
