"""What a citizen does on their petition's page: feedback, withdrawal, added information, answers and SMS settings.

Each action runs one case service and comes back to the page (with the form and its staged
files when something is wrong).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from petitions.limits import add_info_wait
from petitions.models import Petition
from petitions.services import (
    petition_set_sms_updates,
)
from petitions.uploads import form_files_stage
from portal.forms import (
    AddInfoForm,
    AnswerForm,
    FeedbackForm,
    WithdrawForm,
    add_service_errors,
)
from portal.views import _case_context, _granted_petition, _rate, _session_key, rate_limited
from routing.actors import CitizenActor
from routing.errors import CaseConflict
from routing.services import (
    case_citizen_add_info,
    case_citizen_answer,
    case_citizen_feedback,
    case_withdraw,
)


def _citizen_action(
    request: HttpRequest,
    code: str,
    form: Any,
    context_key: str,
    run: Callable[[Petition, dict[str, Any]], Any],
) -> HttpResponse:
    """Run a citizen's action on their case; on an error, show the case page with the form filled in."""
    petition = _granted_petition(request, code)
    action_error = ""
    if form.is_valid():
        try:
            run(petition, form.cleaned_data)
        except ValidationError as exc:
            if any(field in form.fields for field in exc.message_dict):
                add_service_errors(form, exc)
            else:
                # About the case, not the answers (the feedback window closed): shown on top, as
                # the form itself may no longer be on the page.
                action_error = " ".join(exc.messages)
        except (CaseConflict, PermissionDenied) as exc:
            action_error = str(getattr(exc, "message", exc))
        else:
            return redirect(reverse("portal:portal-case", kwargs={"code": code}) + "#timeline")
    context = _case_context(request, petition)
    context.update({context_key: form, "action_error": action_error})
    return render(request, "portal/case.html", context, status=400)


@require_POST
@ratelimit(group="portal-feedback", key="ip", rate=_rate("feedback_ip"))
def feedback(request: HttpRequest, code: str) -> HttpResponse:
    return _citizen_action(
        request,
        code,
        FeedbackForm(request.POST),
        "feedback_form",
        lambda petition, data: case_citizen_feedback(
            case_id=petition.case.pk,
            actor=CitizenActor(petition_id=petition.pk),
            resolved=data["resolved"],
            rating=data["rating"],
            comment=data["comment"],
        ),
    )


@require_POST
@ratelimit(group="portal-feedback", key="ip", rate=_rate("feedback_ip"))
def add_info(request: HttpRequest, code: str) -> HttpResponse:
    """The citizen adds a fact and photos to their petition (``case_citizen_add_info``)."""
    petition = _granted_petition(request, code)
    form = AddInfoForm(request.POST, request.FILES)
    if form.is_valid() and add_info_wait(request, petition.tracking_code) is not None:
        return rate_limited(request, Exception("add_info_code"))
    return _citizen_words(request, code, form, "add_info_form", case_citizen_add_info)


@require_POST
@ratelimit(group="portal-feedback", key="ip", rate=_rate("feedback_ip"))
def answer(request: HttpRequest, code: str) -> HttpResponse:
    """The citizen answers the unit's question (``case_citizen_answer``): the case goes back to the officer."""
    _granted_petition(request, code)
    return _citizen_words(
        request, code, AnswerForm(request.POST, request.FILES), "answer_form", case_citizen_answer
    )


def _citizen_words(
    request: HttpRequest, code: str, form: Any, context_key: str, service: Any
) -> HttpResponse:
    """Text, photos and documents from the citizen to the service (the files checked and staged first).

    Files are staged even when something else in the form is wrong, and the page sends them back
    (``form.staged``, ``form.staged_documents``): the citizen never chooses them again.
    """
    session_key = _session_key(request)
    form.is_valid()  # fills cleaned_data: the files of a form with errors elsewhere are staged too
    files = form_files_stage(
        sent=request.POST,
        photos=form.cleaned_data.get("photos") or [],
        documents=form.cleaned_data.get("documents") or [],
        session_key=session_key,
    )
    for field, refused in files.errors.items():
        form.add_error(field, refused)
    form.staged, form.staged_documents = files.photos, files.documents
    return _citizen_action(
        request,
        code,
        form,
        context_key,
        lambda petition, data: service(
            case_id=petition.case.pk,
            actor=CitizenActor(petition_id=petition.pk),
            text=data["text"],
            attachment_tokens=files.photo_tokens,
            document_tokens=files.document_tokens,
            session_key=session_key,
        ),
    )


@require_POST
@ratelimit(group="portal-feedback", key="ip", rate=_rate("feedback_ip"))
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    return _citizen_action(
        request,
        code,
        WithdrawForm(request.POST),
        "withdraw_form",
        lambda petition, data: case_withdraw(
            case_id=petition.case.pk, actor=CitizenActor(petition_id=petition.pk), reason=data["reason"]
        ),
    )


@require_POST
@ratelimit(group="portal-feedback", key="ip", rate=_rate("feedback_ip"))
def sms_updates(request: HttpRequest, code: str) -> HttpResponse:
    """Turn SMS updates about this petition off or back on (the browser must follow the petition)."""
    petition = _granted_petition(request, code)
    choice = request.POST.get("sms")
    if choice not in ("on", "off"):
        messages.error(request, _("Choose whether to receive SMS updates."))
    else:
        try:
            petition_set_sms_updates(petition_id=petition.pk, enabled=choice == "on")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("portal:portal-case", code=petition.tracking_code)
        if choice == "on":
            messages.success(request, _("You will receive SMS updates about this petition again."))
        elif petition.email:
            messages.success(request, _("You will no longer receive SMS updates; email updates continue."))
        else:
            messages.warning(
                request,
                _(
                    "You will no longer receive SMS updates. You gave no email address, so you will get no"
                    " messages at all: come back to this page to follow your petition."
                ),
            )
    return redirect("portal:portal-case", code=petition.tracking_code)
