"""The load_units command: the register's 1 + 34 + 3,321 units, loaded idempotently."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from petitions.models import Category
from petitions.services import Submission, petition_submit
from routing.models import Case, Level, Unit

CENTRAL, PROVINCES, COMMUNES = 1, 34, 3_321
TOTAL = CENTRAL + PROVINCES + COMMUNES


def _load(**options: Any) -> str:
    out, err = StringIO(), StringIO()
    call_command("load_units", stdout=out, stderr=err, **options)
    return out.getvalue()


def _summary(created: int, updated: int, unchanged: int, deactivated: int) -> str:
    return (
        f"Units in the register (central: {CENTRAL}, province: {PROVINCES}, commune: {COMMUNES}). "
        f"Created {created}, updated {updated}, unchanged {unchanged}, deactivated {deactivated}."
    )


def _snapshot() -> dict[str, tuple[Any, ...]]:
    return {
        u.code: (u.pk, u.name, u.level, u.parent_id, u.path, u.admin_code, u.division_type, u.is_active)
        for u in Unit.objects.all()
    }


@pytest.fixture
def loaded(db: Any) -> str:
    assert not Unit.objects.exists()
    return _load()


def test_first_load_creates_every_unit_of_the_register(loaded):
    assert Unit.objects.count() == TOTAL
    assert Unit.objects.filter(level=Level.CENTRAL).count() == CENTRAL
    assert Unit.objects.filter(level=Level.PROVINCE).count() == PROVINCES
    assert Unit.objects.filter(level=Level.COMMUNE).count() == COMMUNES
    assert not Unit.objects.filter(is_active=False).exists()
    assert _summary(TOTAL, 0, 0, 0) in loaded


def test_central_unit_is_the_root(loaded):
    central = Unit.objects.get(level=Level.CENTRAL)
    assert central.code == "TW"
    assert central.parent is None
    assert central.path == "/TW/"
    assert central.name == "Trung ương"


def test_provinces_hang_under_central(loaded):
    central = Unit.objects.get(level=Level.CENTRAL)
    provinces = list(Unit.objects.filter(level=Level.PROVINCE))
    assert len(provinces) == PROVINCES
    for province in provinces:
        assert province.parent_id == central.pk
        assert re.fullmatch(r"P\d{2}", province.code)
        assert province.admin_code == int(province.code[1:])
        assert province.path == f"/TW/{province.code}/"
        assert province.name
        assert province.division_type


def test_every_commune_hangs_under_its_province(loaded):
    provinces = {u.pk: u for u in Unit.objects.filter(level=Level.PROVINCE)}
    communes = list(Unit.objects.filter(level=Level.COMMUNE))
    assert len(communes) == COMMUNES
    for commune in communes:
        assert commune.parent_id is not None
        province = provinces[commune.parent_id]
        assert commune.path.startswith(province.path)
        assert commune.path == f"{province.path}{commune.code}/"
        assert re.fullmatch(r"W\d{5}", commune.code)
        assert commune.admin_code == int(commune.code[1:])
        assert commune.name
        assert commune.division_type


def test_every_province_has_communes(loaded):
    for province in Unit.objects.filter(level=Level.PROVINCE):
        assert province.children.filter(level=Level.COMMUNE).exists(), province.code


def test_paths_and_admin_codes_are_unique(loaded):
    paths = list(Unit.objects.values_list("path", flat=True))
    assert len(set(paths)) == TOTAL
    for level in (Level.PROVINCE, Level.COMMUNE):
        codes = list(Unit.objects.filter(level=level).values_list("admin_code", flat=True))
        assert len(set(codes)) == len(codes)


def test_known_units_are_where_the_register_puts_them(loaded):
    hanoi = Unit.objects.get(code="P01")
    assert hanoi.name == "Thành phố Hà Nội"
    hoan_kiem = Unit.objects.get(code="W00070")
    assert hoan_kiem.name == "Phường Hoàn Kiếm"
    assert hoan_kiem.parent == hanoi
    assert hoan_kiem.path == "/TW/P01/W00070/"
    assert hoan_kiem.ancestor_at(Level.PROVINCE) == hanoi
    hcm = Unit.objects.get(code="P79")
    assert hcm.name == "Thành phố Hồ Chí Minh"
    assert Unit.objects.get(code="W26743").name == "Phường Bến Thành"
    assert Unit.objects.get(code="W26743").parent == hcm


def test_second_run_changes_nothing(loaded):
    before = _snapshot()
    output = _load()
    assert _snapshot() == before
    assert Unit.objects.count() == TOTAL
    assert _summary(0, 0, TOTAL, 0) in output


def test_renamed_unit_gets_the_register_name_back_without_a_duplicate(loaded):
    unit = Unit.objects.get(code="W00070")
    Unit.objects.filter(pk=unit.pk).update(name="Tên bị sửa nhầm")

    output = _load()

    assert Unit.objects.count() == TOTAL
    assert Unit.objects.filter(code="W00070").count() == 1
    restored = Unit.objects.get(code="W00070")
    assert restored.pk == unit.pk
    assert restored.name == "Phường Hoàn Kiếm"
    assert _summary(0, 1, TOTAL - 1, 0) in output


def test_renamed_province_is_restored(loaded):
    Unit.objects.filter(code="P79").update(name="TP HCM")
    output = _load()
    assert Unit.objects.get(code="P79").name == "Thành phố Hồ Chí Minh"
    assert _summary(0, 1, TOTAL - 1, 0) in output


def test_moved_commune_is_moved_back_with_its_path(loaded):
    commune = Unit.objects.get(code="W00070")
    commune.parent = Unit.objects.get(code="P79")
    commune.save()
    assert commune.path == "/TW/P79/W00070/"

    output = _load()

    commune.refresh_from_db()
    assert commune.parent.code == "P01"
    assert commune.path == "/TW/P01/W00070/"
    assert _summary(0, 1, TOTAL - 1, 0) in output


def test_stale_unit_is_deactivated_not_deleted(loaded):
    stale = Unit.objects.create(
        code="W99999", name="Xã đã sáp nhập", level=Level.COMMUNE, parent=Unit.objects.get(code="P01")
    )

    output = _load()

    stale.refresh_from_db()
    assert stale.is_active is False
    assert Unit.objects.filter(is_active=True).count() == TOTAL
    assert Unit.objects.count() == TOTAL + 1
    assert _summary(0, 0, TOTAL, 1) in output

    # A third run has nothing left to deactivate.
    assert _summary(0, 0, TOTAL, 0) in _load()


def test_stale_unit_with_a_case_keeps_the_case(loaded):
    stale = Unit.objects.create(
        code="W99998", name="Xã cũ", level=Level.COMMUNE, parent=Unit.objects.get(code="P01")
    )
    case = petition_submit(
        submission=Submission(
            category=Category.objects.get(code="environment"),
            commune=stale,
            phone="0912 345 678",
            submitter_name="Nguyễn Văn An",
            title="Rác thải",
            text="Rác thải không được thu gom nhiều ngày.",
        )
    ).petition.case

    _load()

    case = Case.objects.get(pk=case.pk)
    assert case.unit_id == stale.pk
    assert case.unit.is_active is False


def test_deactivated_register_unit_is_reactivated(loaded):
    Unit.objects.filter(code="W00073").update(is_active=False)
    output = _load()
    assert Unit.objects.get(code="W00073").is_active is True
    assert _summary(0, 1, TOTAL - 1, 0) in output


def test_missing_units_are_added_to_an_existing_tree(loaded):
    Unit.objects.filter(code="W00070").delete()
    output = _load()
    assert Unit.objects.count() == TOTAL
    assert Unit.objects.get(code="W00070").path == "/TW/P01/W00070/"
    assert _summary(1, 0, TOTAL - 1, 0) in output


def test_quiet_run_prints_no_progress_bar(loaded):
    out, err = StringIO(), StringIO()
    call_command("load_units", stdout=out, stderr=err, verbosity=0)
    assert err.getvalue() == ""
    assert "unchanged 3356" in out.getvalue()
