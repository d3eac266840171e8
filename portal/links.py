"""The signed link of the messages sent after the receipt: ``/t/s/<signed>/``.

The receipt's secret link cannot be written again (only its token's hash is kept), so the
question, the reminder and the response carry a link signed by ``notifications.texts``. Opening it
grants the petition to the browser exactly as the secret link does (``portal.views.track_token``)
and shows the case page. A link that was not signed here, or is older than
``texts.SIGNED_LINK_MAX_AGE``, shows the look-up page with a message: the same page whether the
petition exists or not.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit

from notifications.texts import signed_link_petition
from petitions import grants
from petitions.models import Petition
from portal.forms import TrackLookupForm


def _track_rate(group: str, request: HttpRequest) -> str:
    # The secret link's budget (``portal.views.track_token``): one group for both.
    return str(settings.PORTAL_RATES["track_ip"])


def _petition_id(signed: str) -> tuple[int | None, bool]:
    """(the petition the link names, whether it expired); no petition for a link not signed here."""
    try:
        return signed_link_petition(signed), False
    except signing.SignatureExpired:
        # Signed here, only too old: the look-up form gets the code, the citizen adds the phone.
        try:
            return signed_link_petition(signed, max_age=None), True
        except signing.BadSignature:
            return None, True
    except signing.BadSignature:
        return None, False


@require_GET
@ratelimit(group="portal-track", key="ip", rate=_track_rate)
def signed_link(request: HttpRequest, signed: str) -> HttpResponse:
    """Grant the petition the link names to this browser, then show its page without the link in the URL."""
    petition_id, expired = _petition_id(signed)
    petition = Petition.objects.filter(pk=petition_id).first() if petition_id is not None else None
    if petition is not None and not expired:
        grants.grant(request.session, petition.pk)
        return redirect("portal:portal-case", code=petition.tracking_code)
    messages.warning(
        request,
        _(
            "This link has expired or is not valid. Find your petition with its tracking code and the phone "
            "number you gave."
        ),
    )
    initial = {"code": petition.tracking_code} if petition is not None else {}
    context = {"form": TrackLookupForm(initial=initial), "not_found": False, "asked_code": bool(initial)}
    return render(request, "portal/track.html", context)
