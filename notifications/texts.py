"""What the messages say. SMS texts fit one segment; emails say a little more.

SMS bodies are sent without Vietnamese diacritics, as Vietnamese gateways and
operators usually do: a GSM-7 segment holds 160 characters, a Unicode one only
70, so a plain-letter message of ~120 characters costs one SMS instead of two or
three. Emails keep the full spelling.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.template.defaultfilters import floatformat
from django.utils import translation
from django.utils.translation import gettext as _

from config.public_url import public_base_url
from routing.models import EventKind

SMS_SEGMENT = 160


def fold(text: str) -> str:
    """``Đã nhận phản ánh`` → ``Da nhan phan anh``: plain letters for a one-segment SMS."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def base_url() -> str:
    return public_base_url()


def tracking_url(token: str, language: str = "vi") -> str:
    """The secret tracking link; Vietnamese pages have no language prefix."""
    prefix = "" if language == settings.LANGUAGE_CODE else f"/{language}"
    return f"{base_url()}{prefix}/t/{token}/"


def track_page_url(language: str = "vi") -> str:
    prefix = "" if language == settings.LANGUAGE_CODE else f"/{language}"
    return f"{base_url()}{prefix}/track/"


# --- the signed link ------------------------------------------------------------------------
#
# Only the hash of the receipt's secret token is kept, so later messages cannot repeat that link.
# They carry a signed one instead: the petition's id and the time it was signed, under an HMAC of
# SECRET_KEY with a salt of its own. It opens the petition as the secret link does
# (``portal.links``) until SIGNED_LINK_MAX_AGE has passed, so it is as secret as the message.

SIGNED_LINK_SALT = "notifications.signed-case-link"
#: Longer than any question's answer window (10 working days by default) with a margin, and time
#: to read a response and rate it.
SIGNED_LINK_MAX_AGE = dt.timedelta(days=30)


def _link_signer() -> signing.TimestampSigner:
    # "." rather than ":" between the parts: nothing a phone's link detector might stop at.
    return signing.TimestampSigner(salt=SIGNED_LINK_SALT, sep=".")


def signed_case_url(petition_id: int, language: str = "vi") -> str:
    """A link that opens the petition in any browser for SIGNED_LINK_MAX_AGE (``/t/s/<signed>/``)."""
    prefix = "" if language == settings.LANGUAGE_CODE else f"/{language}"
    return f"{base_url()}{prefix}/t/s/{_link_signer().sign(str(int(petition_id)))}/"


def signed_link_petition(signed: str, *, max_age: dt.timedelta | None = SIGNED_LINK_MAX_AGE) -> int:
    """The petition id a signed link names; ``signing.SignatureExpired`` when it is older than
    ``max_age`` (None: any age), ``signing.BadSignature`` when it was not signed here."""
    value = _link_signer().unsign(signed, max_age=max_age)
    if not value.isdigit():
        raise signing.BadSignature("not a petition id")
    return int(value)


@dataclass(frozen=True)
class Text:
    sms: str
    subject: str
    email: str


def receipt(*, code: str, token: str, language: str) -> Text:
    with translation.override(language):
        url = tracking_url(token, language)
        return Text(
            sms=fold(
                _("%(code)s: your petition was received. Follow it at %(url)s") % {"code": code, "url": url}
            ),
            subject=_("Petition %(code)s received") % {"code": code},
            email=_(
                "Your petition %(code)s was received. Follow it, and read the response when it comes, at %(url)s\n\n"
                "Keep this link to yourself: it opens your petition without the phone number."
            )
            % {"code": code, "url": url},
        )


def _status_phrase(kind: str, unit: str) -> tuple[str, str]:
    """(short phrase for SMS, longer sentence for email) of a public status change."""
    phrases: dict[str, tuple[str, str]] = {
        EventKind.ACCEPT: (_("accepted"), _("It was accepted and is being handled by %(unit)s.")),
        EventKind.REJECT: (_("not accepted"), _("It was not accepted.")),
        EventKind.MARK_DUPLICATE: (
            _("merged with an earlier petition"),
            _("It was merged with an earlier petition about the same matter, which you can follow instead."),
        ),
        EventKind.ESCALATE: (_("moved to %(unit)s"), _("It was moved to %(unit)s.")),
        EventKind.TRANSFER: (_("moved to %(unit)s"), _("It was moved to %(unit)s.")),
        EventKind.RETURN_DOWN: (_("moved to %(unit)s"), _("It was moved to %(unit)s.")),
        EventKind.REFER: (_("waiting for an agency"), _("It was referred to an agency for its input.")),
        EventKind.EXTEND: (_("deadline extended"), _("The deadline for handling it was extended.")),
        EventKind.APPROVE: (_("a response is ready"), _("A response was published.")),
        EventKind.AUTO_CLOSE: (_("closed"), _("It was closed.")),
        EventKind.ASK_CITIZEN: (
            _("a question for you"),
            _("%(unit)s asks you a question. Please answer it on your petition's page:"),
        ),
        EventKind.CITIZEN_REMINDER: (
            _("please answer our question"),
            _(
                "We are still waiting for your answer to our question. Please answer it on your petition's page."
            ),
        ),
        EventKind.CITIZEN_NO_ANSWER: (
            _("handled without your answer"),
            _("We received no answer to our question: %(unit)s continues with what it has."),
        ),
    }
    short, sentence = phrases[kind]
    return short % {"unit": unit} if "%(unit)s" in short else short, sentence % {"unit": unit}


def _status_sms(*, code: str, kind: str, unit: str, url: str) -> tuple[str, str]:
    """(the SMS, the short phrase it uses) of a public status change."""
    short, _sentence = _status_phrase(kind, unit)
    sms = fold(_("%(code)s: %(status)s. See %(url)s") % {"code": code, "status": short, "url": url})
    if len(sms) > SMS_SEGMENT:  # a long unit name: drop it rather than pay for two messages
        short, _sentence = _status_phrase(kind, _("another unit"))
        sms = fold(_("%(code)s: %(status)s. See %(url)s") % {"code": code, "status": short, "url": url})
    return sms, short


def status_change(*, code: str, kind: str, unit: str, note: str, language: str, link: str = "") -> Text:
    """A public status change; ``link`` (``signed_case_url``) opens the petition without the look-up."""
    with translation.override(language):
        _short, sentence = _status_phrase(kind, unit)
        url = link or track_page_url(language)
        sms, short = _status_sms(code=code, kind=kind, unit=unit, url=url)
        if len(sms) > SMS_SEGMENT and link:  # a long site address: the look-up page's shorter link
            sms, short = _status_sms(code=code, kind=kind, unit=unit, url=track_page_url(language))
        if kind == EventKind.ASK_CITIZEN and note:
            # The question itself, in two concatenated messages at most (153 characters each).
            tail = fold(" " + _("Answer at %(url)s") % {"url": url})
            room = 2 * 153 - len(tail)
            head = fold(f"{code}: {note}")
            sms = (head if len(head) <= room else head[: room - 3].rstrip() + "...") + tail
        body = _("About your petition %(code)s: %(sentence)s") % {"code": code, "sentence": sentence}
        if note:
            body += "\n\n" + note
        if link:
            body += "\n\n" + _("Open your petition at %(url)s") % {"url": link}
            body += "\n\n" + _("Keep this link to yourself: it opens your petition without the phone number.")
        else:
            body += "\n\n" + _("Follow it at %(url)s with its code and your phone number.") % {"url": url}
        return Text(
            sms=sms, subject=_("Petition %(code)s: %(status)s") % {"code": code, "status": short}, email=body
        )


def staff_message(
    *, template: str, code: str, title: str, case_url: str, due: str = "", added: str = ""
) -> Text:
    """Messages to officers and leaders, in the site's language; ``added``: what the citizen wrote."""
    with translation.override(settings.LANGUAGE_CODE):
        values: dict[str, Any] = {"code": code, "title": title, "url": case_url, "due": due}
        if template == "case_assigned":
            subject = _("Case %(code)s was assigned to you") % values
        elif template == "deadline_reminder":
            subject = _("Case %(code)s is due %(due)s") % values
        elif template == "citizen_answered":
            subject = _("The citizen answered your question on case %(code)s") % values
        elif template == "citizen_unanswered":
            subject = _("No answer from the citizen on case %(code)s: it is back with you") % values
        elif template == "citizen_info":
            subject = _("The citizen added information to case %(code)s") % values
        else:
            subject = _("Case %(code)s missed its deadline (%(due)s)") % values
        parts = [subject, title]
        if added:
            parts.append(_("The citizen wrote:") + "\n" + added)
        body = "\n\n".join([*parts, case_url])
        return Text(sms=fold(subject), subject=subject, email=body)


def office_url(path: str, language: str = "vi") -> str:
    """A back-office page (``alerts/5/``) in ``language``: Vietnamese pages have no language prefix."""
    prefix = "" if language == settings.LANGUAGE_CODE else f"/{language}"
    return f"{base_url()}{prefix}/office/{path}"


def alert_digest(*, unit: str, alerts: Sequence[Any], language: str) -> Text:
    """The leaders' digest of a unit's new and grown alerts, one e-mail per detection run.

    ``alerts`` are ``alerts.models.Alert`` rows before their ``notified_observed`` is updated:
    0 means the leaders hear of the alert for the first time, else the count they were last told.
    """
    with translation.override(language):
        subject = _("Emerging-issue alerts for %(unit)s (%(count)s)") % {"unit": unit, "count": len(alerts)}
        parts = [
            _("Detection found petitions rising faster than usual in the area of %(unit)s:") % {"unit": unit}
        ]
        for alert in alerts:
            values = {
                "subject": alert.subject_label,
                "place": alert.place.name,
                "before": alert.notified_observed,
            }
            if alert.notified_observed:
                head = _("Growing (%(before)s when last told): %(subject)s in %(place)s") % values
            else:
                head = _("New: %(subject)s in %(place)s") % values
            counts = _("%(observed)s petitions in %(hours)s hours, %(expected)s expected") % {
                "observed": alert.observed,
                "hours": alert.window_hours,
                "expected": floatformat(alert.expected, 1),  # as the banner and the alert's page say it
            }
            parts.append(f"- {head}\n  {counts}\n  {office_url(f'alerts/{alert.pk}/', language)}")
        parts.append(
            _("Acknowledge or close them on the list of alerts: %(url)s")
            % {"url": office_url("alerts/", language)}
        )
        body = "\n\n".join(parts)
        return Text(sms=fold(subject), subject=subject, email=body)


def public_petition_url(code: str, language: str = "vi") -> str:
    """The public page of a published petition (where it is co-signed)."""
    prefix = "" if language == settings.LANGUAGE_CODE else f"/{language}"
    return f"{base_url()}{prefix}/petitions/{code}/"


def phone_code(*, code: str, purpose: str, petition_code: str, minutes: int, language: str) -> Text:
    """The one-time code that proves a phone number: what it is for, and when it expires.

    The code comes first, so that phones offering to fill it in find it at once.
    """
    with translation.override(language):
        values = {"code": code, "petition": petition_code, "minutes": minutes}
        if purpose == "cosign":
            sms = _(
                "%(code)s is your code to co-sign petition %(petition)s. It expires in %(minutes)s minutes."
                " Do not share it."
            )
        else:
            sms = _(
                "%(code)s is your code to see the petitions filed with this number. It expires in"
                " %(minutes)s minutes. Do not share it."
            )
        text = fold(sms % values)
        return Text(sms=text, subject="", email="")


def cosigned_response(*, code: str, url: str, language: str) -> Text:
    """To a co-signer who asked to hear of the response, when it is published."""
    with translation.override(language):
        sms = fold(
            _("%(code)s: the petition you co-signed has a response. Read it at %(url)s")
            % {"code": code, "url": url}
        )
        return Text(sms=sms, subject="", email="")
