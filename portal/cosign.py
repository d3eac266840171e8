"""Published petitions and co-signing them ("me too"): the list, a petition's public page, the two steps.

A published petition is one whose citizen consented to publication and did not withdraw it
(``petitions.selectors.published``). Its page shows what the statistics page already publishes
(title and text with phone numbers and e-mail addresses taken out, topic, place, state, the
response) and the number of co-signers; never a name or a phone number.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.logs import redact
from petitions.cosign import cosign_code_send, cosign_refusal, petition_cosign
from petitions.limits import client_rate_key
from petitions.models import Petition, PhonePurpose
from petitions.phones import PhoneCodeLimited, phone_challenge_verify
from petitions.selectors import petition_is_published, petitions_open_for_cosigning, published_petition
from portal.forms import add_service_errors
from portal.mine import active_language
from portal.phone_forms import CodeForm, CoSignForm
from routing.models import CaseState

PENDING_SESSION_KEY = "portal.cosign.pending"
#: The petitions this browser co-signed (ids, most recent first): their page thanks instead of asking again.
COSIGNED_SESSION_KEY = "portal.cosigned"
MAX_REMEMBERED = 50
PAGE_SIZE = 20


#: The public list pages through the newest this many: counting every published petition on each
#: view would scan them all.
LIST_CAP = 2_000


class CappedPaginator(Paginator):
    """Counts at most ``LIST_CAP`` rows (a bounded ``COUNT`` over a ``LIMIT``)."""

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list
        return int(rows[:LIST_CAP].count())


@require_GET
def petitions_public(request: HttpRequest) -> HttpResponse:
    """Published petitions still open, newest first, with their co-signers: two queries a page."""
    page = CappedPaginator(petitions_open_for_cosigning(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/petitions_public.html", {"page": page})


def _published(code: str) -> Petition:
    petition = published_petition(code)
    if petition is None:
        raise Http404
    return petition


def _pending(request: HttpRequest, petition: Petition) -> dict[str, Any] | None:
    pending = request.session.get(PENDING_SESSION_KEY)
    if (
        isinstance(pending, dict)
        and pending.get("petition") == petition.tracking_code
        and isinstance(pending.get("challenge"), int)
    ):
        return pending
    return None


def _cosigned(request: HttpRequest) -> list[int]:
    remembered = request.session.get(COSIGNED_SESSION_KEY, [])
    return [pk for pk in remembered if isinstance(pk, int)] if isinstance(remembered, list) else []


def _page(
    request: HttpRequest, petition: Petition, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    case = petition.case
    original = case.duplicate_of if case.state == CaseState.DUPLICATE else None
    if original is not None and not petition_is_published(original.petition):
        original = None
    base = {
        "petition": petition,
        "case": case,
        "title": redact(petition.title),
        "text": redact(petition.text),
        "response_visible": case.responded_at is not None and bool(case.response_text),
        "cosigned": petition.pk in _cosigned(request),
        "refusal": cosign_refusal(petition),
        "pending": _pending(request, petition),
        "original": original,
        "cosign_form": CoSignForm(),
        "code_form": CodeForm(),
    }
    base.update(context)
    return render(request, "portal/petition_public.html", base, status=status)


@require_GET
@never_cache
def public_petition(request: HttpRequest, code: str) -> HttpResponse:
    return _page(request, _published(code), {})


def _status(error: ValidationError) -> int:
    return 429 if isinstance(error, PhoneCodeLimited) else 400


@require_POST
def cosign_send(request: HttpRequest, code: str) -> HttpResponse:
    """Step 1: the phone number (and whether to hear of the response); a code is sent to it."""
    petition = _published(code)
    form = CoSignForm(request.POST)
    if form.is_valid():
        try:
            challenge = cosign_code_send(
                petition=petition,
                phone=form.cleaned_data["phone"],
                client=client_rate_key(request),
                language=active_language(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return _page(request, petition, {"cosign_form": form}, status=_status(exc))
        request.session[PENDING_SESSION_KEY] = {
            "challenge": challenge.pk,
            "petition": petition.tracking_code,
            "notify": bool(form.cleaned_data["notify"]),
            "digits": challenge.phone[-3:],
        }
        return redirect(
            reverse("portal:portal-petition", kwargs={"code": petition.tracking_code}) + "#cosign"
        )
    return _page(request, petition, {"cosign_form": form}, status=400)


@require_POST
def cosign_confirm(request: HttpRequest, code: str) -> HttpResponse:
    """Step 2: the code from the SMS; the co-signature is recorded (``petition_cosign``)."""
    petition = _published(code)
    pending = _pending(request, petition)
    here = reverse("portal:portal-petition", kwargs={"code": petition.tracking_code}) + "#cosign"
    if request.POST.get("restart") or pending is None:
        request.session.pop(PENDING_SESSION_KEY, None)
        return redirect(here)
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            challenge = phone_challenge_verify(
                challenge_id=pending["challenge"],
                purpose=PhonePurpose.COSIGN,
                code=form.cleaned_data["code"],
                client=client_rate_key(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return _page(request, petition, {"code_form": form}, status=_status(exc))
        request.session.pop(PENDING_SESSION_KEY, None)
        try:
            petition_cosign(
                petition_id=petition.pk,
                challenge_id=challenge.pk,
                notify=bool(pending.get("notify")),
                language=active_language(),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(here)
        request.session[COSIGNED_SESSION_KEY] = [petition.pk, *_cosigned(request)][:MAX_REMEMBERED]
        messages.success(request, _("Thank you: your co-signature was recorded."))
        return redirect(here)
    return _page(request, petition, {"code_form": form}, status=400)
