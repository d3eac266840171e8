""" "My petitions": a citizen proves a phone number with an SMS code and sees every petition filed with it.

There are no accounts. The proof is kept in the session for ``PROOF_TTL``; a petition of the list
is opened through ``portal-my-open``, which grants the session that petition as the secret link
does (``petitions.grants``), so its tracking page, photos and documents open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from petitions import grants
from petitions.limits import client_rate_key
from petitions.models import Petition, PhonePurpose
from petitions.phones import PhoneCodeLimited, phone_challenge_send, phone_challenge_verify
from petitions.retention import petition_past_retention
from petitions.selectors import MY_PETITIONS_LIMIT, petitions_filed_with
from portal.forms import add_service_errors
from portal.phone_forms import CodeForm, PhoneForm

#: How long a phone proved by a code opens "My petitions" in this browser.
PROOF_TTL = dt.timedelta(minutes=30)
PROOF_SESSION_KEY = "portal.my.proof"
PENDING_SESSION_KEY = "portal.my.pending"


def active_language() -> str:
    return (get_language() or settings.LANGUAGE_CODE)[:2]


def _proof(session: Any) -> dict[str, Any]:
    proof = session.get(PROOF_SESSION_KEY)
    return proof if isinstance(proof, dict) and isinstance(proof.get("phone"), str) else {}


def proven_phone(session: Any, *, now: dt.datetime | None = None) -> str | None:
    """The phone number this session proved less than ``PROOF_TTL`` ago (E.164), else None."""
    proof = _proof(session)
    until = proof.get("until")
    if not proof or not isinstance(until, int | float) or (now or timezone.now()).timestamp() >= until:
        return None
    return str(proof["phone"])


def _pending(session: Any) -> dict[str, Any] | None:
    pending = session.get(PENDING_SESSION_KEY)
    return pending if isinstance(pending, dict) and isinstance(pending.get("challenge"), int) else None


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    phone = proven_phone(request.session)
    pending = _pending(request.session)
    base: dict[str, Any] = {"phone_form": PhoneForm(), "code_form": CodeForm(), "pending": pending}
    if phone:
        rows = petitions_filed_with(phone=phone)
        base.update(
            {
                "proven": True,
                "phone_digits": phone[-3:],
                "rows": [(petition, petition_past_retention(petition)) for petition in rows],
                "limited_list": len(rows) >= MY_PETITIONS_LIMIT,
                "proof_minutes": int(PROOF_TTL.total_seconds() // 60),
            }
        )
    base.update(context)
    return render(request, "portal/my_petitions.html", base, status=status)


@require_GET
@never_cache
def my_petitions(request: HttpRequest) -> HttpResponse:
    """The phone form, the code form (a code was sent), or the list (the phone is proven)."""
    return _page(request, {})


def _limited_status(error: ValidationError) -> int:
    return 429 if isinstance(error, PhoneCodeLimited) else 400


@require_POST
def my_send(request: HttpRequest) -> HttpResponse:
    """Send a code to the phone number given (``phone_challenge_send``)."""
    form = PhoneForm(request.POST)
    if form.is_valid():
        try:
            challenge = phone_challenge_send(
                phone=form.cleaned_data["phone"],
                purpose=PhonePurpose.MY_PETITIONS,
                client=client_rate_key(request),
                language=active_language(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return _page(request, {"phone_form": form, "pending": None}, status=_limited_status(exc))
        request.session[PENDING_SESSION_KEY] = {"challenge": challenge.pk, "digits": challenge.phone[-3:]}
        request.session.pop(PROOF_SESSION_KEY, None)
        return redirect("portal:portal-my")
    return _page(request, {"phone_form": form, "pending": None}, status=400)


@require_POST
def my_verify(request: HttpRequest) -> HttpResponse:
    """Check the code; on success the session holds the proven phone for ``PROOF_TTL``."""
    pending = _pending(request.session)
    if request.POST.get("restart") or pending is None:
        request.session.pop(PENDING_SESSION_KEY, None)
        return redirect("portal:portal-my")
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            challenge = phone_challenge_verify(
                challenge_id=pending["challenge"],
                purpose=PhonePurpose.MY_PETITIONS,
                code=form.cleaned_data["code"],
                client=client_rate_key(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return _page(request, {"code_form": form}, status=_limited_status(exc))
        # A new session key: the proof is not carried by a key someone else may have planted.
        request.session.cycle_key()
        request.session.pop(PENDING_SESSION_KEY, None)
        request.session[PROOF_SESSION_KEY] = {
            "phone": challenge.phone,
            "until": int((timezone.now() + PROOF_TTL).timestamp()),
        }
        return redirect("portal:portal-my")
    return _page(request, {"code_form": form}, status=400)


@require_POST
def my_forget(request: HttpRequest) -> HttpResponse:
    """Sign out: forget the proven phone and this browser's access to its petitions."""
    # Also after the proof expired: the grants it opened are forgotten with it.
    phone = _proof(request.session).get("phone")
    if phone:
        grants.revoke(request.session, Petition.objects.filter(phone=phone).values_list("pk", flat=True))
    request.session.pop(PROOF_SESSION_KEY, None)
    request.session.pop(PENDING_SESSION_KEY, None)
    messages.success(request, _("This browser no longer shows your petitions."))
    return redirect("portal:portal-my")


@require_GET
def my_open(request: HttpRequest, code: str) -> HttpResponse:
    """Open one of the proven phone's petitions: grant it to the session, then show its tracking page."""
    phone = proven_phone(request.session)
    if not phone:
        return redirect("portal:portal-my")
    petition = Petition.objects.filter(phone=phone, tracking_code=code).only("pk", "tracking_code").first()
    if petition is None:
        raise Http404
    # Only as long as the proof: a shared computer's next user finds nothing in the history.
    grants.grant(request.session, petition.pk, until=int(_proof(request.session)["until"]))
    return redirect("portal:portal-case", code=petition.tracking_code)
