"""Officers' pages: sign-in, inbox, case desk with its actions and notes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from backoffice import forms as f
from backoffice.access import staff_required
from backoffice.bulk import BulkForm
from backoffice.search import similar_to
from backoffice.twofactor import pending_end, pending_start
from notifications.routes import INBOX_SOCKET, desk_socket
from petitions.downloads import attachment_response, document_response
from petitions.forms import add_service_errors
from petitions.models import Category, Channel
from petitions.services import petition_submit
from petitions.uploads import form_files_stage
from routing import services
from routing.actions import ACTIONS, ActionForm, not_permitted_message
from routing.deadlines import working_days_between
from routing.errors import CaseActionForbidden, CaseConflict
from routing.models import Case, CaseState, Level, Unit, membership_of
from routing.second_factor import confirmed_device, second_factor_missing
from routing.selectors import (
    INBOX_TABS,
    NEARBY_DEFAULT_M,
    NEARBY_RADII_M,
    case_available_actions,
    case_for_user,
    case_moved_away_from,
    cases_nearby,
    inbox_cases,
    inbox_counts,
    response_templates_for,
)

PAGE_SIZE = 25


class LoginView(auth_views.LoginView):
    """Password first (django-axes counts the failures); accounts with two-factor sign-in then give a code."""

    template_name = "backoffice/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # A session that never gave its code signs in again instead of bouncing back to `next`.
        self.redirect_authenticated_user = not second_factor_missing(request.user)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A new password attempt abandons any half-finished sign-in of this session.
        pending_end(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if confirmed_device(user) is None:
            return super().form_valid(form)
        # Not signed in yet: the code step (backoffice.twofactor.login_verify) does that.
        pending_start(self.request, user=user, redirect_to=self.get_success_url())
        return redirect("backoffice:backoffice-login-verify")


class LogoutView(auth_views.LogoutView):
    next_page = "backoffice:backoffice-login"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from notifications.live import announce_access_change

        user_id = request.user.pk
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have signed out."))
        if user_id is not None:
            # The session is gone now: the user's open pages in other tabs stop listening.
            announce_access_change(user_id)
        return response


# --- deadlines in words --------------------------------------------------------------


def deadline_label(case: Case) -> tuple[str, str]:
    label, tone = _deadline_words(case)
    if label and case.state == CaseState.AWAITING_AGENCY:
        # The resolution clock is paused: this is the agency's deadline, not the unit's.
        return _("agency's reply %(when)s") % {"when": label}, "overdue" if tone == "overdue" else "waiting"
    if label and case.state == CaseState.AWAITING_CITIZEN:
        return _("citizen's answer %(when)s") % {"when": label}, "waiting"
    return label, tone


def _deadline_words(case: Case) -> tuple[str, str]:
    """('due in 2 working days', 'soon') or ('overdue by 3 days', 'overdue'); words carry the meaning."""
    if case.due_at is None:
        return "", ""
    if case.state == CaseState.RESPONDED:
        # The citizen's feedback window, not a deadline for staff.
        until = timezone.localtime(case.due_at).strftime("%d/%m/%Y")
        return _("citizen's feedback until %(date)s") % {"date": until}, "waiting"
    now = timezone.now()
    if case.due_at < now:
        days = max(1, (now - case.due_at).days)
        return _("overdue by %(days)s days") % {"days": days}, "overdue"
    days = working_days_between(now, case.due_at)
    if days == 0:
        return _("due today"), "soon"
    if days <= 1:
        return _("due tomorrow"), "soon"
    return _("due in %(days)s working days") % {"days": days}, "ok"


# --- inbox ----------------------------------------------------------------------------

TAB_LABELS = {
    "triage": gettext_lazy("To triage"),
    "mine": gettext_lazy("Mine"),
    "agency": gettext_lazy("Waiting for an agency or the citizen"),
    "approval": gettext_lazy("Waiting for approval"),
    "overdue": gettext_lazy("Overdue"),
    "open": gettext_lazy("All open"),
    "closed": gettext_lazy("Closed"),
}


def filtered_cases(request: HttpRequest, tab: str, unit: Unit | None = None) -> tuple[f.InboxFilterForm, Any]:
    """The filter form of a case list and its cases: the user's own unit, or ``unit`` read-only."""
    filters = f.InboxFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    membership = membership_of(request.user)
    cases = inbox_cases(
        user=request.user,
        tab=tab,
        category_id=data.get("category"),
        commune_id=data.get("commune"),
        since=data.get("since"),
        until=data.get("until"),
        query=data.get("q") or "",
        sort=data.get("sort") or "due",
        unit=None if unit is None or membership is None or unit.pk == membership.unit_id else unit,
    )
    return filters, cases


def list_query(request: HttpRequest, tab: str) -> tuple[str, str]:
    """The list's query string without the page (for the pager), and with the tab (for exports)."""
    query = request.GET.copy()
    query.pop("page", None)
    paging = query.urlencode()
    query["tab"] = tab
    return paging, query.urlencode()


def _default_tab(user: Any, counts: dict[str, int]) -> str:
    """Open the inbox where the work is: leaders' approvals, then triage, then the officer's own cases."""
    membership = membership_of(user)
    order = ("approval", "triage", "mine") if membership and membership.is_leader else ("triage", "mine")
    return next((tab for tab in order if counts[tab]), "triage")


def _inbox_list(request: HttpRequest) -> dict[str, Any]:
    """The inbox's tab counts and the current tab's page of cases: what the page and its snapshot share."""
    counts = inbox_counts(request.user)
    tab = request.GET.get("tab") or _default_tab(request.user, counts)
    if tab not in INBOX_TABS:
        tab = "triage"
    filters, cases = filtered_cases(request, tab)
    page = _page_of_ids_first(cases, request.GET.get("page"))
    query, export_query = list_query(request, tab)
    # The snapshot asks for the tab on screen: the default tab may change with the counts.
    live_query = request.GET.copy()
    live_query["tab"] = tab
    return {
        "tab": tab,
        "counts": counts,
        "tabs": [(key, TAB_LABELS[key], counts[key]) for key in INBOX_TABS],
        "page": page,
        "rows": [(case, *deadline_label(case)) for case in page.object_list],
        "filters": filters,
        "query": query,
        "export_query": export_query,
        "live_query": live_query.urlencode(),
        "selectable": tab != "closed",
    }


def _page_of_ids_first(cases: Any, number: Any) -> Any:
    """A page of ``cases``: its ids are ordered and cut on the cases table alone, then those rows
    are loaded with their joins. Joining and sorting every case of a tab before the ``LIMIT``
    cost a province unit's last page about 95 ms at a million cases (ids first: about 10)."""
    page = Paginator(cases.values_list("pk", flat=True), PAGE_SIZE).get_page(number)
    ids = list(page.object_list)
    loaded = cases.in_bulk(ids)
    page.object_list = [loaded[pk] for pk in ids if pk in loaded]
    return page


@require_GET
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    context = _inbox_list(request)
    membership = membership_of(request.user)
    assert membership is not None
    communes = (
        Unit.objects.filter(parent=membership.unit, level=Level.COMMUNE).order_by("name")
        if membership.unit.level == Level.PROVINCE
        else Unit.objects.none()
    )
    context.update(
        {
            "categories": Category.objects.filter(is_active=True),
            "communes": communes,
            "unit": membership.unit,
            "bulk_form": BulkForm(user=request.user) if context["selectable"] else None,
            "live_socket": INBOX_SOCKET,
        }
    )
    return render(request, "backoffice/inbox.html", context)


@require_GET
@staff_required
@never_cache
def inbox_live(request: HttpRequest) -> JsonResponse:
    """The inbox's tab counts and case rows for its script to swap in (same filters, tab and page)."""
    context = _inbox_list(request)
    html = {
        "table": render_to_string("backoffice/_case_table.html", context, request=request),
        "pager": render_to_string("backoffice/_pager.html", context, request=request),
    }
    return JsonResponse(
        {"tab": context["tab"], "counts": context["counts"], "html": html},
        json_dumps_params={"ensure_ascii": False},
    )


# --- case desk ------------------------------------------------------------------------


def _get_case(request: HttpRequest, pk: int) -> Case:
    case = case_for_user(user=request.user, case_id=pk)
    if case is None:
        raise Http404
    return case


def _radius(request: HttpRequest) -> int:
    value = request.GET.get("radius", "")
    return int(value) if value.isdigit() and int(value) in NEARBY_RADII_M else NEARBY_DEFAULT_M


def _nearby(request: HttpRequest, case: Case, unit_id: int) -> dict[str, Any]:
    """Open cases near the case's point, for the handling unit's desk (the point is theirs only).

    Every reader sees the list; the map marks only the cases their own unit handles, whose
    exact points they may already see on those cases' desks.
    """
    radius = _radius(request)
    rows = cases_nearby(user=request.user, case=case, radius_m=radius)
    markers = [
        {
            "lat": float(n.case.petition.latitude),  # type: ignore[arg-type]
            "lon": float(n.case.petition.longitude),  # type: ignore[arg-type]
            "code": n.case.petition.tracking_code,
            "title": n.case.petition.title,
            "url": reverse("backoffice:backoffice-case", args=[n.case.pk]),
        }
        for n in rows
        if n.case.unit_id == unit_id
    ]
    return {
        # Metres to the nearest ten: enough to judge a duplicate, no more precise than that.
        "nearby": [(n, f"{round(n.distance_m, -1):.0f} m" if n.distance_m >= 5 else "< 5 m") for n in rows],
        "nearby_radius": radius,
        "nearby_radii": NEARBY_RADII_M,
        "nearby_markers": markers,
    }


def _desk(
    request: HttpRequest, case: Case, *, bound: dict[str, ActionForm] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    membership = membership_of(user)
    assert membership is not None
    handles = membership.unit_id == case.unit_id
    available = [name for name in case_available_actions(case=case, user=user) if name in ACTIONS]
    templates = list(response_templates_for(case)) if "submit_response" in available else []
    chosen = next((t for t in templates if str(t.pk) == request.GET.get("template")), None)
    actions = []
    for name in available:
        form = (bound or {}).get(name) or ACTIONS[name].form(case=case, user=user, prefix=name)
        if name == "mark_duplicate" and not bound and request.GET.get("duplicate_of"):
            # "Mark as duplicate of this" from the similar cases, without JavaScript.
            form.initial["original"] = request.GET["duplicate_of"][:20]
        if name == "submit_response" and chosen is not None and not bound:
            # "Insert" a template without JavaScript: the desk reloads with the draft filled in.
            form.initial["text"] = chosen.text
            form.fields["text"].initial = chosen.text
        actions.append((ACTIONS[name], form))
    events = case.events.select_related("actor", "from_unit", "to_unit").order_by("created_at", "id")
    label, tone = deadline_label(case)
    # The case a duplicate points at, only if this reader may see it (it may have moved since).
    original = (
        case_for_user(user=user, case_id=case.duplicate_of_id) if case.duplicate_of_id is not None else None
    )
    point = case.petition.latitude is not None and case.petition.longitude is not None
    nearby = _nearby(request, case, membership.unit_id) if handles and point else {}
    return render(
        request,
        "backoffice/case.html",
        {
            "case": case,
            "petition": case.petition,
            "handles": handles,
            # The desk hears of changes to this case live (notifications.consumers.DeskConsumer).
            "live_socket": desk_socket(case.pk),
            "actions": actions,
            "open_action": next(iter(bound or {}), None)
            or ("submit_response" if chosen else None)
            or ("mark_duplicate" if request.GET.get("duplicate_of") else None),
            "similar": similar_to(case, user),
            "can_mark_duplicate": "mark_duplicate" in available,
            "templates": templates,
            "events": events,
            "photos": case.petition.attachments.all() if handles else [],
            "documents": case.petition.documents.select_related("event") if handles else [],
            "note_form": f.NoteForm(prefix="note"),
            "deadline_label": label,
            "deadline_tone": tone,
            "original": original,
            **nearby,
        },
        status=status,
    )


@require_GET
@staff_required
def case_desk(request: HttpRequest, pk: int) -> HttpResponse:
    return _desk(request, _get_case(request, pk))


@require_POST
@staff_required
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    membership = membership_of(request.user)
    assert membership is not None
    moved = _("This case was moved to another unit a moment ago.")
    case = case_for_user(user=request.user, case_id=pk)
    if case is None:
        # Staff who saw the case at their unit learn that it moved on, not "not found".
        if case_moved_away_from(case_id=pk, unit_id=membership.unit_id):
            messages.warning(request, moved)
            return redirect("backoffice:backoffice-inbox")
        raise Http404
    stale = request.POST.get(f"{action}-version") != str(case.version)
    if membership.unit_id != case.unit_id:
        if stale and case_moved_away_from(case_id=pk, unit_id=membership.unit_id):
            messages.warning(request, moved)
            return redirect("backoffice:backoffice-case", pk=case.pk)
        raise PermissionDenied
    if action not in case_available_actions(case=case, user=request.user):
        if stale:
            messages.warning(request, CaseConflict().message)
        elif action in {t.name for t in case.get_available_state_transitions()}:  # type: ignore[attr-defined]
            messages.error(request, not_permitted_message(action))
        else:
            messages.error(request, _("This action is not possible for the case in its current state."))
        return redirect("backoffice:backoffice-case", pk=case.pk)
    form = spec.form(request.POST, request.FILES, case=case, user=request.user, prefix=action)
    staged: dict[str, Any] = {}
    if "documents" in form.fields:
        form.is_valid()  # fills cleaned_data: the files of a form with errors elsewhere are staged too
        staged = _stage_action_documents(request, form, action)
    if form.is_valid():
        try:
            spec.run(case, request.user, {**form.cleaned_data, **staged}, form.cleaned_data["version"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        except CaseActionForbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except CaseConflict as exc:
            messages.warning(request, exc.message)
            return redirect("backoffice:backoffice-case", pk=case.pk)
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": spec.label})
            if case_for_user(user=request.user, case_id=case.pk) is None:
                # Escalated or transferred out of the user's sight: back to their inbox.
                return redirect("backoffice:backoffice-inbox")
            return redirect("backoffice:backoffice-case", pk=case.pk)
    return _desk(request, case, bound={action: form}, status=400)


def _stage_action_documents(request: HttpRequest, form: ActionForm, action: str) -> dict[str, Any]:
    """The form's PDFs staged in the officer's session, with those kept from an earlier send.

    A draft refused for another reason (a placeholder left, a version conflict) comes back with
    its documents listed and kept, as the petition forms keep theirs; the form shows them
    (``form.staged_documents``) and sends their tokens back.
    """
    if request.session.session_key is None:
        request.session.save()
    session_key = request.session.session_key or ""
    files = form_files_stage(
        sent={
            "document_tokens": request.POST.getlist(f"{action}-document_tokens"),
            "remove_documents": request.POST.getlist(f"{action}-remove_documents"),
        },
        documents=form.cleaned_data.get("documents") or [],
        session_key=session_key,
    )
    form.staged_documents = files.documents  # type: ignore[attr-defined]
    for field, refused in files.errors.items():
        form.add_error(field, refused)
    return {"document_tokens": files.document_tokens, "session_key": session_key}


@require_POST
@staff_required
def case_note(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    form = f.NoteForm(request.POST, prefix="note")
    if form.is_valid():
        try:
            services.case_add_note(
                case_id=case.pk,
                actor=request.user,
                text=form.cleaned_data["text"],
                is_public=form.cleaned_data["is_public"],
            )
        except CaseActionForbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Note added."))
        return redirect("backoffice:backoffice-case", pk=case.pk)
    messages.error(request, _("Write the note first."))
    return redirect("backoffice:backoffice-case", pk=case.pk)


@require_GET
@staff_required
def case_photo(request: HttpRequest, pk: int, photo: int, size: str) -> FileResponse:
    """Photos are for the unit handling the case only."""
    case = _get_case(request, pk)
    membership = membership_of(request.user)
    if membership is None or membership.unit_id != case.unit_id:
        raise Http404
    attachment = case.petition.attachments.filter(pk=photo).first()
    if attachment is None:
        raise Http404
    return attachment_response(attachment, size)


@staff_required
@require_GET
def case_document(request: HttpRequest, pk: int, document: int) -> FileResponse:
    """Documents, like photos, are for the unit handling the case only; always a download."""
    case = _get_case(request, pk)
    membership = membership_of(request.user)
    if membership is None or membership.unit_id != case.unit_id:
        raise Http404
    found = case.petition.documents.filter(pk=document).first()
    if found is None:
        raise Http404
    return document_response(found)


@staff_required
def petition_new(request: HttpRequest) -> HttpResponse:
    """Enter a petition received by phone or in person, through the same intake service."""
    membership = membership_of(request.user)
    assert membership is not None
    unit = membership.unit
    province_code = request.POST.get("province") or request.GET.get("province")
    if not province_code and unit.level != Level.CENTRAL:
        province_code = unit.code if unit.level == Level.PROVINCE else unit.parent.code  # type: ignore[union-attr]
    files = None
    if request.method == "POST":
        form = f.OfficerPetitionForm(request.POST, request.FILES, province_code=province_code)
        form.is_valid()  # fills cleaned_data: the files of a form with errors elsewhere are staged too
        if request.session.session_key is None:
            request.session.save()
        files = form_files_stage(
            sent=request.POST,
            photos=form.cleaned_data.get("photos") or [],
            documents=form.cleaned_data.get("documents") or [],
            session_key=request.session.session_key or "",
        )
    if request.method == "POST" and "choose_province" not in request.POST:
        assert files is not None
        for field, refused in files.errors.items():
            form.add_error(field, refused)
        if form.is_valid():
            try:
                result = petition_submit(
                    submission=form.submission(
                        received=form.receipt(),
                        attachment_tokens=files.photo_tokens,
                        document_tokens=files.document_tokens,
                    ),
                    channel=Channel.OFFICER,
                    entered_by=request.user,
                    session_key=request.session.session_key or "",
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Petition %(code)s was filed. The citizen receives the tracking code by SMS.")
                    % {"code": result.petition.tracking_code},
                )
                case = result.petition.case
                if case_for_user(user=request.user, case_id=case.pk) is not None:
                    return redirect("backoffice:backoffice-case", pk=case.pk)
                return redirect("backoffice:backoffice-inbox")
        else:
            form.add_intake_errors()  # every error at once, the intake service's checks too
        status = 400
    else:
        initial: dict[str, Any] = {"province": province_code}
        if unit.level == Level.COMMUNE:
            initial["commune"] = unit.code
        if request.method == "POST":
            initial.update(
                {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "choose_province")}
            )
        form = f.OfficerPetitionForm(initial=initial, province_code=province_code)
        status = 200
    staged = {"staged": files.photos, "staged_documents": files.documents} if files else {}
    return render(request, "backoffice/petition_new.html", {"form": form, **staged}, status=status)


@staff_required
def templates(request: HttpRequest) -> HttpResponse:
    """Response templates of the user's unit; leaders add and edit them."""
    from routing.models import ResponseTemplate

    membership = membership_of(request.user)
    assert membership is not None
    editing = None
    if request.GET.get("edit"):
        editing = ResponseTemplate.objects.filter(pk=request.GET["edit"], unit=membership.unit).first()
    if request.method == "POST":
        form = f.ResponseTemplateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.response_template_save(
                    actor=request.user,
                    title=data["title"],
                    text=data["text"],
                    category=data["category"],
                    is_active=data["is_active"],
                    template_id=int(request.POST["template_id"]) if request.POST.get("template_id") else None,
                )
            except CaseActionForbidden as exc:
                raise PermissionDenied(exc.message) from exc
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Template saved."))
                return redirect("backoffice:backoffice-templates")
        status = 400
    else:
        initial = (
            {
                "title": editing.title,
                "text": editing.text,
                "category": editing.category_id,
                "is_active": editing.is_active,
            }
            if editing
            else None
        )
        form = f.ResponseTemplateForm(initial=initial)
        status = 200
    return render(
        request,
        "backoffice/templates.html",
        {
            "form": form,
            "editing": editing,
            "can_edit": membership.is_leader,
            "templates": ResponseTemplate.objects.filter(unit=membership.unit).select_related("category"),
        },
        status=status,
    )
