"""The weekly report: the week's numbers rolled up, as a printable page, CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

URL = reverse("backoffice:backoffice-weekly-report")
WEEK = "2026-W45"  # Monday 2 to Sunday 8 November 2026
WEEK_MONDAY = "2026-11-02"


def test_anonymous_users_are_sent_to_sign_in(client, tree):
    response = client.get(URL, {"week": WEEK, "format": "csv"})
    assert response.status_code == 302


@pytest.mark.parametrize("fmt", ["html", "csv", "xlsx"])
@pytest.mark.parametrize(
    ("who", "unit"), [("officer", ""), ("other_province_leader", "P01"), ("other_commune_leader", "W00070")]
)
def test_officers_and_other_units_leaders_are_refused(client, cast, who, unit, fmt):
    client.force_login(getattr(cast, who))
    params = {"week": WEEK, "format": fmt, **({"unit": unit} if unit else {})}
    assert client.get(URL, params).status_code == 403


def test_the_printable_page_shows_the_week_rolled_up(client, cast, week):
    client.force_login(cast.province_leader)
    response = client.get(URL, {"week": WEEK})
    assert response.status_code == 200
    body = response.content.decode()
    assert "02/11/2026" in body and "08/11/2026" in body
    assert "Phường Cửa Nam" in body and "Phường Hoàn Kiếm" in body
    assert "?week=2026-W44" in body and "?week=2026-W46" in body
    assert response.context["perf"].total.responded == 3


def test_the_csv_carries_unit_total_and_topic_rows_with_hours_and_rates(client, cast, week):
    client.force_login(cast.province_leader)
    response = client.get(URL, {"week": WEEK, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="bao-cao-tuan-2026-W45-P01.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    by_code = {row[1]: dict(zip(header, row, strict=True)) for row in body if row[1]}
    assert set(by_code) == {"P01", "W00070", "W00073"}
    assert len(body) == 5  # province own, Cửa Nam, Hoàn Kiếm, total, one topic
    values = dict(zip(header, body[3], strict=True))  # the total row follows the units
    columns = list(header)
    assert values[columns[5]] == "5"  # received
    assert values[columns[10]] == "0.6667"  # on-time rate
    assert values[columns[11]] == "96.0"  # median response, hours
    assert values[columns[12]] == "134.4"  # 90th percentile response, hours


def test_the_xlsx_has_a_units_sheet_and_a_topics_sheet(client, cast, week):
    client.force_login(cast.central_leader)
    response = client.get(URL, {"week": WEEK, "format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    about, units, topics = book.worksheets
    assert about.cell(row=2, column=2).value == "Trung ương (TW)"
    rows = list(units.iter_rows(values_only=True))
    by_code = {row[1]: row for row in rows[1:]}
    assert set(by_code) == {"TW", "P01", "P79"}  # the two provinces, central's own cases, then the total
    assert rows[-1][1] == "TW" and rows[-1][5] == 6  # total received in the week: A B C E F G
    assert by_code["P01"][5] == 5
    assert len(list(topics.iter_rows(values_only=True))) == 2
    # The week's first and last days and the time it was made are dates, not text.
    first_day, last_day, made = (about.cell(row=row, column=2) for row in (4, 5, 6))
    assert (first_day.value.date(), last_day.value.date()) == (
        dt.date.fromisoformat(WEEK_MONDAY),
        dt.date.fromisoformat(WEEK_MONDAY) + dt.timedelta(days=6),
    )
    assert first_day.is_date and first_day.number_format == "dd/mm/yyyy"
    assert made.is_date and made.number_format == "dd/mm/yyyy hh:mm"


def test_an_unreadable_week_falls_back_to_the_last_complete_week_with_a_warning(client, cast):
    client.force_login(cast.leader)
    response = client.get(URL, {"week": "next tuesday"}, follow=True)
    assert response.status_code == 200
    assert response.context["monday"].weekday() == 0
    assert any("week" in str(m).lower() or "tuần" in str(m).lower() for m in response.context["messages"])


def test_units_with_nothing_in_the_week_are_folded_into_one_line(client, cast, week, tree):
    from routing.models import Level, Unit

    Unit.objects.create(code="W09999", name="Phường Yên Tĩnh", level=Level.COMMUNE, parent=tree.hanoi)
    client.force_login(cast.province_leader)
    body = client.get(URL, {"week": WEEK}).content.decode()
    folded = body.split('<details class="idle-units">')[1].split("</details>")[0]
    assert "Phường Yên Tĩnh" in folded
    assert "Phường Hoàn Kiếm" not in folded  # it had cases: a row of its own
