"""The translation catalogs are complete, and Vietnamese and English both come out at run time."""

from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test.signals import setting_changed
from django.utils import translation
from django.utils.translation import gettext_lazy

from petitions.services import Submission, petition_submit
from routing.models import CaseState

LOCALE = Path(settings.BASE_DIR) / "locale"
MSGFMT = shutil.which("msgfmt") or "/usr/bin/msgfmt"


def catalog(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs() -> None:
    """Compile the .mo files when missing or older than the .po (`make test` already does it)."""
    stale = [
        po
        for po in LOCALE.glob("*/LC_MESSAGES/django.po")
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if not stale:
        return
    # Several xdist workers may get here at once: compile under a lock.
    with open(Path(tempfile.gettempdir()) / "petitions-compilemessages.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        call_command("compilemessages", ignore_patterns=[".venv"], verbosity=0)
    # Catalogs loaded earlier in this process were read without the fresh .mo files: drop them.
    setting_changed.send(
        sender=type(settings), setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False
    )


@pytest.mark.parametrize("language", ["vi", "en"])
def test_catalog_is_complete(language: str) -> None:
    result = subprocess.run(
        [MSGFMT, "--check", "--statistics", "-o", "/dev/null", str(catalog(language))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    statistics = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ translated messages?\.", statistics), statistics


def test_vietnamese_header_and_text() -> None:
    text = catalog("vi").read_text(encoding="utf-8")
    assert '"Language: vi\\n"' in text
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in text
    assert "charset=UTF-8" in text
    assert unicodedata.is_normalized("NFC", text)


def test_english_catalog_is_already_filled(tmp_path: Path) -> None:
    """Running scripts/fill_en_catalog.py on the committed catalog changes nothing."""
    copy = tmp_path / "django.po"
    shutil.copy(catalog("en"), copy)
    script = Path(settings.BASE_DIR) / "scripts" / "fill_en_catalog.py"
    subprocess.run([sys.executable, str(script), str(copy)], check=True)
    assert copy.read_text(encoding="utf-8") == catalog("en").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("language", "state", "title_message"),
    [
        ("vi", "Chờ tiếp nhận", "Vui lòng nhập tiêu đề ngắn gọn cho phản ánh, kiến nghị."),
        ("en", "Awaiting triage", "Give your petition a short title."),
    ],
)
def test_messages_follow_the_active_language(language: str, state: str, title_message: str) -> None:
    with translation.override(language):
        assert str(CaseState.SUBMITTED.label) == state
        assert str(gettext_lazy("Give your petition a short title.")) == title_message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("vi", "Vui lòng nhập tiêu đề ngắn gọn cho phản ánh, kiến nghị."),
        ("en", "Give your petition a short title."),
    ],
)
def test_petition_submit_errors_are_translated(language: str, expected: str) -> None:
    with translation.override(language), pytest.raises(ValidationError) as raised:
        petition_submit(
            submission=Submission(category=None, commune=None, phone="0912 345 678", title="", text="")
        )
    with translation.override(language):
        assert raised.value.message_dict["title"] == [expected]
