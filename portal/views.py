"""Public pages: home, submit, confirmation, tracking, feedback, withdrawal, statistics."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.text import Truncator
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_fsm import can_proceed, has_transition_perm
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

from config.logs import redact
from notifications.routes import track_socket
from notifications.texts import tracking_url
from petitions import grants
from petitions.attachments import (
    staging_key,
)
from petitions.downloads import attachment_response, document_response
from petitions.limits import submit_phone_wait, track_code_wait
from petitions.models import Attachment, Petition, hash_token
from petitions.reference import CATEGORIES
from petitions.retention import petition_past_retention
from petitions.services import (
    LAT_RANGE,
    LON_RANGE,
    SubmissionResult,
    normalize_phone,
    normalize_tracking_code,
    petition_idempotency_key_used,
    petition_submit,
)
from petitions.stats import (
    last_12_months,
    last_30_days,
    public_breakdown,
    public_map,
    public_summary,
    published_responses,
    similar_published,
)
from petitions.uploads import form_files_stage
from portal.forms import (
    AddInfoForm,
    AnswerForm,
    FeedbackForm,
    SubmitForm,
    TrackLookupForm,
    WithdrawForm,
    add_service_errors,
    commune_choices,
    form_submission_key,
    seconds_since_started,
    sign_started,
)
from routing import wording
from routing.actors import CitizenActor
from routing.geodata import commune_nearest
from routing.models import ADD_INFO_STATES, Case, CaseState, EventKind, Level, Unit
from routing.reference import UNITS
from routing.selectors import case_public_events

STAGED_SESSION_KEY = "portal.staged"
RECEIPT_SESSION_KEY = "portal.receipt"


# --- rate limits ----------------------------------------------------------------------


def _rate(name: str) -> Any:
    def rate(group: str, request: HttpRequest) -> str:
        return str(settings.PORTAL_RATES[name])

    return rate


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Shown instead of the page when a client sends too many requests."""
    return render(request, "portal/429.html", status=429)


# --- session grants ---------------------------------------------------------------------


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return str(request.session.session_key)


def _grant(request: HttpRequest, petition: Petition) -> None:
    grants.grant(request.session, petition.pk)


def _granted_petition(request: HttpRequest, code: str) -> Petition:
    """The petition with this code if this browser proved it may follow it; else 404."""
    tracked = grants.granted_ids(request.session)
    petition = (
        Petition.objects.select_related(
            "category", "commune", "province", "case__unit", "case__duplicate_of__petition"
        )
        .filter(tracking_code=code, pk__in=tracked)
        .first()
    )
    if petition is None:
        raise Http404
    return petition


# --- pages -------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "portal/home.html",
        {
            "lookup_form": TrackLookupForm(),
            "summary": public_summary(since=last_30_days(now)),
        },
    )


@require_GET
@cache_control(max_age=3600, public=True)
def communes(request: HttpRequest, province_code: str) -> JsonResponse:
    """Communes of a province, for the dependent select (the form also works without it)."""
    province = Unit.objects.filter(code=province_code, level=Level.PROVINCE, is_active=True).first()
    if province is None:
        raise Http404
    # Each unit's centre (null when unknown), for the map to follow the chosen province and commune.
    points = {
        code: (lat, lon)
        for code, lat, lon in Unit.objects.filter(parent=province, is_active=True).values_list(
            "code", "latitude", "longitude"
        )
    }
    return JsonResponse(
        {
            "center": _point(province.latitude, province.longitude),
            "communes": [
                {"code": c, "name": n, "center": _point(*points.get(c, (None, None)))}
                for c, n in commune_choices(province_code)
            ],
        }
    )


def _point(latitude: Decimal | None, longitude: Decimal | None) -> dict[str, float] | None:
    if latitude is None or longitude is None:
        return None
    return {"latitude": float(latitude), "longitude": float(longitude)}


#: How much nearer another province's commune must be than the chosen province's to be suggested
#: instead (centres, not boundaries: by a border either may hold the point).
BORDER_SLACK_KM = 1.5


@require_GET
@ratelimit(group="portal-nearest", key="ip", rate=_rate("suggest_ip"))
def nearest_commune(request: HttpRequest) -> JsonResponse:
    """The commune nearest to a point picked on the map, to suggest it (within the chosen province if any).

    ``{"commune": null}`` when no commune's centre is known near the point; 400 for a point
    that is not a coordinate in Viet Nam.
    """
    try:
        latitude = Decimal(request.GET.get("lat", ""))
        longitude = Decimal(request.GET.get("lon", ""))
    except InvalidOperation:
        return JsonResponse({"error": _("Give the point as lat and lon.")}, status=400)
    if not (
        latitude.is_finite()
        and longitude.is_finite()
        and LAT_RANGE[0] <= latitude <= LAT_RANGE[1]
        and LON_RANGE[0] <= longitude <= LON_RANGE[1]
    ):
        return JsonResponse({"error": _("The point is not in Viet Nam.")}, status=400)
    province = None
    if request.GET.get("province"):
        province = Unit.objects.filter(
            code=request.GET["province"], level=Level.PROVINCE, is_active=True
        ).first()
    found = commune_nearest(latitude=latitude, longitude=longitude)
    other_province = False
    if found is not None and province is not None and found.commune.parent_id != province.pk:
        # The nearest centre is in another province. The chosen province's nearest commune wins only
        # when it is about as near (a point by a border); a commune 18 km away is not "this point"
        # (it was chosen, and the petition sent there): the province is then the likely mistake.
        inside = commune_nearest(latitude=latitude, longitude=longitude, province=province)
        if inside is not None and inside.distance_km <= found.distance_km + BORDER_SLACK_KM:
            found = inside
        else:
            other_province = True
    if found is None:
        return JsonResponse({"commune": None})
    commune = found.commune
    parent = commune.parent
    assert parent is not None
    return JsonResponse(
        {
            "commune": {
                "code": commune.code,
                "name": commune.name,
                "province_code": parent.code,
                "province_name": parent.name,
                "distance_km": round(found.distance_km, 2),
            },
            "other_province": other_province,
        }
    )


#: Characters of a suggested response shown before "read the whole response".
SUGGESTION_EXCERPT_CHARS = 220


@require_GET
@ratelimit(group="portal-suggest", key="ip", rate=_rate("suggest_ip"))
def similar_answered(request: HttpRequest) -> JsonResponse:
    """Answered petitions like the title being typed (only responses their citizens let us publish)."""
    title = (request.GET.get("title") or "")[:200]
    items = []
    for case in similar_published(title):
        excerpt = Truncator(case.response_text).chars(SUGGESTION_EXCERPT_CHARS)
        items.append(
            {
                "code": case.petition.tracking_code,
                "title": redact(case.petition.title),
                "response": excerpt,
                # No public page shows one petition's response, so the whole (published) text
                # comes along when the excerpt is cut, for the page to unfold.
                "full_response": case.response_text if excerpt != case.response_text else "",
                "date": formats.date_format(timezone.localtime(case.responded_at), "d/m/Y"),
                "place": case.petition.commune.name if case.petition.commune else "",
            }
        )
    response = JsonResponse({"results": items}, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, max-age=60"
    return response


#: How long the blank form's rendered fields are kept; a change of topics or units renews them at once.
BLANK_FORM_CACHE_SECONDS = 600


def _blank_form_version() -> str:
    return f"{CATEGORIES.version()}-{UNITS.version()}"


#: The same citizen's identical petition within this time is the one filed already (a form
#: sent again from a page the browser reloaded, a second tab, a double tap).
REPEAT_WINDOW = dt.timedelta(minutes=30)


def _file(
    form: SubmitForm,
    post: Any,
    *,
    tokens: list[str],
    session_key: str,
    documents: Sequence[str] = (),
    key_unused: bool = False,
) -> SubmissionResult:
    """File the valid form, or find the petition it filed already (raises ``ValidationError``)."""
    return petition_submit(
        submission=form.submission(
            language=(get_language() or "vi")[:2], attachment_tokens=tokens, document_tokens=documents
        ),
        session_key=session_key,
        # The same form sent again (its answer lost) returns the petition it filed; so does
        # the same text from the same phone soon after (a form reloaded on Back has a new key).
        idempotency_key=form_submission_key(post.get("started", "")),
        # ``_resent`` looked the key up already and found nothing: not read a second time.
        key_unused=key_unused,
        repeat_window=REPEAT_WINDOW,
    )


def _receipt(request: HttpRequest, result: SubmissionResult) -> HttpResponse:
    _grant(request, result.petition)
    request.session[RECEIPT_SESSION_KEY] = {"code": result.petition.tracking_code, "token": result.token}
    return redirect("portal:portal-submitted")


def _show_refusal(form: SubmitForm, post: Any, error: ValidationError) -> None:
    if "idempotency_key" not in error.message_dict:
        add_service_errors(form, error)
        return
    # This form was sent before with other content (edited after going back): a new stamp makes
    # the next send a new petition, once the citizen confirms it. The bound form shows ``post``;
    # the person already filled it in: no bot wait.
    post["started"] = sign_started(seconds_ago=settings.PORTAL_MIN_FORM_SECONDS)
    form.add_error(
        None,
        _(
            "You already sent this form once. To file what you see now as another "
            "petition, check it and send it again."
        ),
    )


def _resent(request: HttpRequest) -> bool:
    """Whether this POST is a form that already filed its petition (sent again after a lost answer)."""
    if not hasattr(request, "_petition_form_resent"):
        key = form_submission_key(request.POST.get("started", ""))
        request._petition_form_resent = petition_idempotency_key_used(key)  # type: ignore[attr-defined]
    return bool(request._petition_form_resent)  # type: ignore[attr-defined]


def _submit_rate(name: str) -> Any:
    """A portal rate that a resent form is not counted against: it files nothing new."""
    limit = _rate(name)

    def rate(group: str, request: HttpRequest) -> str | None:
        return None if request.method == "POST" and _resent(request) else limit(group, request)

    return rate


@require_http_methods(["GET", "POST"])
@ratelimit(group="portal-submit", key="ip", rate=_submit_rate("submit_ip"), method="POST")
def submit(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = SubmitForm(province_code=request.GET.get("province"))
        if request.GET.get("province"):
            form.initial["province"] = request.GET["province"]
            return render(request, "portal/submit.html", {"form": form, "staged": []})
        # The blank form is the same for every visitor in a language: its fields are rendered once
        # and kept (the CSRF token and the form's stamp, outside them, are each visitor's own).
        return render(
            request,
            "portal/submit.html",
            {
                "form": form,
                "staged": [],
                "fields_cache": BLANK_FORM_CACHE_SECONDS,
                "fields_version": _blank_form_version(),
            },
        )
    if not _resent(request) and submit_phone_wait(request, request.POST.get("phone", "")):
        raise Ratelimited

    post = request.POST.copy()
    # Files are staged under the browser's session: one is started for them only (the receipt,
    # later, saves the session anyway), so a form without files costs no session write of its own.
    sends_files = bool(request.FILES) or any(
        request.POST.getlist(name)
        for name in ("photo_tokens", "document_tokens", "remove_photos", "remove_documents")
    )
    session_key = _session_key(request) if sends_files else (request.session.session_key or "")
    if request.POST.get("website"):
        return render(request, "portal/refused.html", status=400)
    elapsed = seconds_since_started(request.POST.get("started", ""))
    # Too fast for a person (a bot), or too old: file nothing, but show the form again
    # with what was typed and a fresh stamp, so a real person loses nothing.
    expired = elapsed is None or elapsed < settings.PORTAL_MIN_FORM_SECONDS
    if expired:
        post["started"] = sign_started()
    form = SubmitForm(post, request.FILES)

    if not expired and _resent(request) and form.is_valid():
        # Filed already: answer with that petition before anything is staged again. A send that
        # differs from the first goes on below (its photos staged), where it is asked to confirm.
        with contextlib.suppress(ValidationError):
            return _receipt(request, _file(form, post, tokens=[], session_key=session_key))

    form.is_valid()  # fills cleaned_data: the files of a form with errors elsewhere are staged too
    files = form_files_stage(
        sent=request.POST,
        photos=form.cleaned_data.get("photos") or [],
        documents=form.cleaned_data.get("documents") or [],
        session_key=session_key,
    )
    staged, papers = files.photos, files.documents

    if "choose_province" in request.POST:
        # Step one of the form without JavaScript: show the communes of the chosen province.
        typed = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "choose_province")}
        form = SubmitForm(initial=typed, province_code=request.POST.get("province"))
        return render(
            request, "portal/submit.html", {"form": form, "staged": staged, "staged_documents": papers}
        )

    if form.is_valid() and not files.errors and not expired:
        try:
            return _receipt(
                request,
                _file(
                    form,
                    post,
                    tokens=files.photo_tokens,
                    session_key=session_key,
                    documents=files.document_tokens,
                    key_unused=not _resent(request),
                ),
            )
        except ValidationError as exc:
            _show_refusal(form, post, exc)
    else:
        # Not filed as it is: the intake service's own checks are reported now too, so that a
        # refused photo or a missing title does not hide a wrong phone number until the next try.
        form.add_intake_errors()
    for field, messages_ in files.errors.items():
        form.add_error(field, messages_)
    if expired:
        form.add_error(None, _("Please check what you typed and send the form again."))
    return render(
        request,
        "portal/submit.html",
        {"form": form, "staged": staged, "staged_documents": papers},
        status=400,
    )


@require_GET
def staged_photo(request: HttpRequest, token: str) -> FileResponse:
    """A thumbnail of a photo this browser uploaded into a form not yet sent."""
    attachment = Attachment.objects.filter(
        upload_token=token,
        petition__isnull=True,
        session_key=staging_key(request.session.session_key or "") or "-",
    ).first()
    if attachment is None:
        raise Http404
    return attachment_response(attachment, "thumb")


@require_GET
def submitted(request: HttpRequest) -> HttpResponse:
    receipt = request.session.get(RECEIPT_SESSION_KEY)
    if not receipt:
        return redirect("portal:portal-home")
    petition = _granted_petition(request, receipt["code"])
    case = petition.case
    return render(
        request,
        "portal/submitted.html",
        {
            "petition": petition,
            "case": case,
            "tracking_link": tracking_url(receipt["token"], petition.language)
            if receipt.get("token")
            else "",
            "triage_due": wording.deadline_words(case.triage_due_at),
        },
    )


@require_http_methods(["GET", "POST"])
@ratelimit(group="portal-track", key="ip", rate=_rate("track_ip"), method="POST")
def track(request: HttpRequest) -> HttpResponse:
    """Find a petition by tracking code and the phone number used."""
    # Every try counts against the code, found or not: a form gives no token to poll with.
    if request.method == "POST" and (wait := track_code_wait(request, request.POST.get("code", ""))):
        # The code is public (published petitions, Open311): someone may have guessed at it. The
        # citizen still has the link in their SMS, and "My petitions" with a code sent to their phone.
        response = render(
            request, "portal/429.html", {"code_locked": True, "wait_minutes": -(-wait // 60)}, status=429
        )
        response["Retry-After"] = str(wait)
        return response
    form = TrackLookupForm(request.POST or None)
    not_found = False
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            phone = normalize_phone(form.cleaned_data["phone"])
        except ValidationError:
            phone = ""
        petition = Petition.objects.filter(tracking_code=code, phone=phone).first() if phone else None
        if petition is not None:
            _grant(request, petition)
            return redirect("portal:portal-case", code=petition.tracking_code)
        # One neutral message whether the code or the phone was wrong.
        not_found = True
    status = 404 if not_found else (400 if request.method == "POST" else 200)
    return render(request, "portal/track.html", {"form": form, "not_found": not_found}, status=status)


@require_GET
@ratelimit(group="portal-track", key="ip", rate=_rate("track_ip"))
def track_token(request: HttpRequest, token: str) -> HttpResponse:
    """The secret link from the SMS: remember the grant, then show the page without the token in the URL."""
    petition = Petition.objects.filter(token_hash=hash_token(token)).first()
    if petition is None:
        return render(
            request, "portal/track.html", {"form": TrackLookupForm(), "not_found": True}, status=404
        )
    _grant(request, petition)
    return redirect("portal:portal-case", code=petition.tracking_code)


def _citizen_may(case: Case, petition: Petition, transition: str) -> bool:
    """Whether the lifecycle offers this citizen's move now (the page offers what the service accepts)."""
    method = getattr(case, transition)
    citizen: Any = CitizenActor(petition_id=petition.pk)  # django-fsm's stubs expect a user
    return can_proceed(method) and has_transition_perm(method, citizen)


def _case_context(request: HttpRequest, petition: Petition) -> dict[str, Any]:
    case: Case = petition.case
    events = list(case_public_events(case))
    original = case.duplicate_of
    # The rule for the link (docs/architecture.md, "Citizen portal"): an ended case is read-only;
    # past the retention period its photos and the citizen's details are no longer shown.
    past_retention = petition_past_retention(petition)
    documents = [] if past_retention else list(petition.documents.for_citizen().select_related("event"))
    return {
        "petition": petition,
        "case": case,
        "status": wording.status_sentence(case),
        "timeline": [(event, wording.event_sentence(event)) for event in events],
        "photos": [] if past_retention else list(petition.attachments.all()),
        # The citizen's own PDFs with the petition; the unit's (the signed reply letter) with the response.
        "documents": [d for d in documents if not d.response_stage],
        "response_documents": [d for d in documents if d.response_stage == "published"],
        # Phone numbers and emails written into the petition go with the rest (as the nightly
        # anonymisation rewrites them).
        "petition_title": redact(petition.title) if past_retention else petition.title,
        "petition_text": redact(petition.text) if past_retention else petition.text,
        "past_retention": past_retention,
        "retention_days": settings.RETENTION_DAYS,
        "original": original,
        "can_rate": _citizen_may(case, petition, "citizen_satisfied") and case.feedback_window_open(),
        "can_withdraw": _citizen_may(case, petition, "withdraw"),
        # While the petition is handled, before it is answered (asked a question, they answer it).
        "can_add_info": case.state in ADD_INFO_STATES and not past_retention,
        "add_info_form": AddInfoForm(),
        "can_answer": _citizen_may(case, petition, "citizen_answered") and not past_retention,
        "question": _open_question(events, case),
        "answer_form": AnswerForm(),
        "can_change_settings": case.is_open and not past_retention,
        "feedback_form": FeedbackForm(),
        "withdraw_form": WithdrawForm(),
        "response_visible": case.responded_at is not None and bool(case.response_text),
        "live_socket": track_socket(petition.tracking_code),
    }


@require_GET
def case_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        petition = _granted_petition(request, code)
    except Http404:
        # A browser without the grant (the link opened elsewhere): ask for the phone number, the
        # code filled in. The same page whether the code exists or not; the form posts to the
        # look-up, whose per-code and per-address limits count every try.
        form = TrackLookupForm(initial={"code": normalize_tracking_code(code)[:20]})
        return render(request, "portal/track.html", {"form": form, "not_found": False, "asked_code": True})
    return render(request, "portal/case.html", _case_context(request, petition))


#: The parts of the case page that change with the case: ``portal/_case_<name>.html``.
LIVE_FRAGMENTS = ("status", "response", "answer", "timeline", "add_info", "withdraw")


@require_GET
@never_cache
def case_live(request: HttpRequest, code: str) -> JsonResponse:
    """The case page's changing parts, for its script to swap in when the case changes (same grant)."""
    petition = _granted_petition(request, code)
    context = _case_context(request, petition)
    case: Case = context["case"]
    html = {
        name: render_to_string(f"portal/_case_{name}.html", context, request=request)
        for name in LIVE_FRAGMENTS
    }
    return JsonResponse(
        {"version": case.version, "state": case.state, "html": html},
        json_dumps_params={"ensure_ascii": False},
    )


def _open_question(events: list[Any], case: Case) -> Any:
    """The question the citizen is asked now (the latest ``ask_citizen`` event), if they are."""
    if case.state != CaseState.AWAITING_CITIZEN:
        return None
    return next((event for event in reversed(events) if event.kind == EventKind.ASK_CITIZEN), None)


@require_GET
def photo(request: HttpRequest, code: str, pk: int, size: str) -> FileResponse:
    """A photo of a petition, for the browser that may follow it (not past the retention period)."""
    petition = _granted_petition(request, code)
    attachment = petition.attachments.filter(pk=pk).first()
    if attachment is None or petition_past_retention(petition):
        raise Http404
    return attachment_response(attachment, size)


@require_GET
def document(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """A PDF of a petition, for the browser that may follow it, always as a download."""
    petition = _granted_petition(request, code)
    found = petition.documents.for_citizen().filter(pk=pk).first()
    if found is None or petition_past_retention(petition):
        raise Http404
    return document_response(found)


@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    windows = []
    for key, label, since in (
        ("30d", _("Last 30 days"), last_30_days(now)),
        ("12m", _("Last 12 months"), last_12_months(now)),
    ):
        windows.append(
            {
                "key": key,
                "label": label,
                "summary": public_summary(since=since),
                "by_province": public_breakdown(since=since, by="province"),
                "by_category": public_breakdown(since=since, by="category"),
            }
        )
    # Published petitions at their commune's point only (petitions.stats.public_map): never their own.
    map_places = public_map()
    return render(
        request,
        "portal/statistics.html",
        {
            "windows": windows,
            "responses": list(published_responses(limit=10)),
            "map_places": map_places,
            "map_symbols": [
                {
                    "code": place.code,
                    "lat": place.latitude,
                    "lon": place.longitude,
                    "count": place.count,
                    "label": ngettext(
                        "%(place)s: %(n)s published petition",
                        "%(place)s: %(n)s published petitions",
                        place.count,
                    )
                    % {"place": f"{place.name}, {place.province}", "n": place.count},
                }
                for place in map_places
            ],
        },
    )
