"""Case-list exports: contact details only for leaders and only for their own unit's cases."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from backoffice.tables import safe_cell


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def url(fmt="csv", **params):
    base = reverse("backoffice:backoffice-export", kwargs={"fmt": fmt})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_anonymous_users_are_sent_to_sign_in(client, case):
    assert client.get(url()).status_code == 302


def test_a_leader_exports_their_own_units_cases_with_contact_details(client, cast, case):
    client.force_login(cast.leader)
    response = client.get(url(tab="open"))
    assert response.status_code == 200
    header, *rows = _csv(response)
    assert len(rows) == 1 and rows[0][0] == case.petition.tracking_code
    assert "0912 345 678" in rows[0] and "Nguyễn Văn An" in rows[0]
    assert len(header) == len(rows[0]) == 14


def test_an_officer_exports_without_contact_details(client, cast, case):
    client.force_login(cast.officer)
    header, *rows = _csv(client.get(url(tab="open")))
    assert rows[0][0] == case.petition.tracking_code
    assert len(header) == 10
    assert not any("345 678" in cell or "Nguyễn Văn An" in cell for cell in rows[0])


def test_a_province_leader_exports_a_communes_list_without_contact_details(client, cast, case):
    client.force_login(cast.province_leader)
    header, *rows = _csv(client.get(url(unit="W00070", tab="open")))
    assert [row[0] for row in rows] == [case.petition.tracking_code]
    assert len(header) == 10 and not any("0912 345 678" in row for row in rows)


@pytest.mark.parametrize(
    ("who", "unit"),
    [
        ("other_officer", "W00070"),
        ("other_commune_leader", "W00070"),
        ("other_province_leader", "W00070"),
        ("officer", "P01"),
    ],
)
def test_other_units_lists_cannot_be_exported(client, cast, case, who, unit):
    client.force_login(getattr(cast, who))
    assert client.get(url(unit=unit)).status_code == 403
    assert client.get(url("xlsx", unit=unit)).status_code == 403


def test_an_officers_own_export_never_contains_another_units_cases(client, cast, case, submit, tree):
    other = submit(commune=tree.cua_nam).petition.case
    client.force_login(cast.other_officer)
    _header, *rows = _csv(client.get(url(tab="open")))
    assert [row[0] for row in rows] == [other.petition.tracking_code]


def test_the_xlsx_export_follows_the_same_rules(client, cast, case):
    client.force_login(cast.leader)
    response = client.get(url("xlsx", tab="open"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == case.petition.tracking_code and "0912 345 678" in rows[1]


def test_text_that_spreadsheets_would_run_as_a_formula_is_quoted(client, cast, submit):
    submit(title='=HYPERLINK("http://evil.example","click")')
    client.force_login(cast.leader)
    _header, *rows = _csv(client.get(url(tab="open")))
    assert rows[0][4].startswith("'=")
    response = client.get(url("xlsx", tab="open"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=5).data_type == "s"
    assert safe_cell(-3) == -3 and safe_cell("-3") == "'-3" and safe_cell("ok") == "ok"


def test_unknown_formats_are_refused(client, cast, case):
    client.force_login(cast.leader)
    assert client.get(url("pdf")).status_code == 403


def test_xlsx_dates_are_real_dates_in_local_time(client, cast, case):
    client.force_login(cast.leader)
    sheet = load_workbook(io.BytesIO(client.get(url("xlsx", tab="open")).content)).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    submitted = sheet.cell(row=2, column=header.index(gettext("Submitted")) + 1)
    due = sheet.cell(row=2, column=header.index(gettext("Deadline")) + 1)
    # Excel has no time zones: the wall-clock time in Việt Nam, to the second as stored.
    local = timezone.localtime(case.submitted_at).replace(tzinfo=None, microsecond=0)
    assert isinstance(submitted.value, dt.datetime) and submitted.is_date
    assert abs(submitted.value - local) < dt.timedelta(seconds=1)
    assert submitted.number_format == "dd/mm/yyyy hh:mm"
    assert isinstance(due.value, dt.datetime) and due.is_date
    assert sheet.column_dimensions[submitted.column_letter].width >= 17


def test_csv_dates_keep_their_text_form(client, cast, case):
    client.force_login(cast.leader)
    _header, row = _csv(client.get(url(tab="open")))
    assert row[1] == timezone.localtime(case.submitted_at).strftime("%Y-%m-%d %H:%M")


def test_xlsx_text_columns_are_as_wide_as_their_text(client, cast, case):
    """The title column was 12 characters wide whatever the titles."""
    client.force_login(cast.leader)
    sheet = load_workbook(io.BytesIO(client.get(url("xlsx", tab="open")).content)).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    column = get_column_letter(header.index(gettext("Title")) + 1)
    assert sheet.column_dimensions[column].width >= len(case.petition.title) + 2
