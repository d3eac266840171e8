"""scripts/backup.sh and scripts/restore.sh: a backup restored into an empty database holds the same data and files.

A backup holds personal data, so what the scripts write is private to their user; a restore never
mixes into existing data: not into a database with tables, not into folders with files (unless
``--force`` for the folders).
"""

from __future__ import annotations

import os
import stat
import subprocess
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from petitions.models import Attachment, Petition
from tests.conftest import requires_postgres

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [requires_postgres(), pytest.mark.django_db(transaction=True)]


def url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def empty_database() -> Any:
    name = f"restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def photographed_petition(submit: Any) -> tuple[Petition, Path]:
    petition = submit(title="Ảnh ổ gà trước cổng trường").petition
    photo = settings.PRIVATE_MEDIA_ROOT / "petitions" / "photo.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8 not really a jpeg \xff\xd9")
    Attachment.objects.create(
        petition=petition,
        image="petitions/photo.jpg",
        thumbnail="petitions/photo.jpg",
        content_type="image/jpeg",
        width=1,
        height=1,
        size=photo.stat().st_size,
    )
    return petition, photo


def back_up(backups: Path) -> Path:
    here = {
        "DATABASE_URL": url(connection.settings_dict["NAME"]),
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
    }
    backup = run("backup.sh", str(backups), **here)
    assert backup.returncode == 0, backup.stderr
    return Path(backup.stdout.strip())


def test_a_backup_restores_the_petitions_and_their_photos_elsewhere(
    seeded: None, submit: Any, tmp_path: Path, empty_database: str
):
    _petition, photo = photographed_petition(submit)
    folder = back_up(tmp_path / "backups")
    assert {p.name for p in folder.iterdir()} == {"database.dump", "files.tar.gz", "MANIFEST", "SHA256SUMS"}
    # Personal data: only the owner may read the backup, whatever the caller's umask.
    assert mode(tmp_path / "backups") == 0o700
    assert mode(folder) == 0o700
    assert {p.name: mode(p) for p in folder.iterdir()} == dict.fromkeys(
        ["database.dump", "files.tar.gz", "MANIFEST", "SHA256SUMS"], 0o600
    )

    elsewhere = {
        "DATABASE_URL": url(empty_database),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "new" / "media"),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(tmp_path / "new" / "private"),
    }
    restore = run("restore.sh", str(folder), **elsewhere)
    assert restore.returncode == 0, restore.stderr
    with psycopg.connect(url(empty_database)) as restored:
        rows = restored.execute("select tracking_code, title from petitions_petition order by id").fetchall()
        events = restored.execute("select count(*) from routing_caseevent").fetchone()
    assert rows == list(Petition.objects.order_by("id").values_list("tracking_code", "title"))
    assert events is not None and events[0] >= 1
    assert (tmp_path / "new" / "private" / "petitions" / "photo.jpg").read_bytes() == photo.read_bytes()

    # Never over existing data, and never from a damaged backup.
    again = run("restore.sh", str(folder), **elsewhere)
    assert again.returncode == 2 and "already has" in again.stderr
    (folder / "files.tar.gz").write_bytes(b"damaged")
    assert run("restore.sh", str(folder), **elsewhere).returncode != 0


def test_a_restore_refuses_file_folders_that_are_not_empty_unless_forced(
    seeded: None, submit: Any, tmp_path: Path, empty_database: str
):
    _petition, photo = photographed_petition(submit)
    folder = back_up(tmp_path / "backups")
    existing = tmp_path / "new" / "private" / "petitions" / "someone-else.jpg"
    existing.parent.mkdir(parents=True)
    existing.write_bytes(b"already here")
    elsewhere = {
        "DATABASE_URL": url(empty_database),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "new" / "media"),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(tmp_path / "new" / "private"),
    }

    refused = run("restore.sh", str(folder), **elsewhere)
    assert refused.returncode == 2 and "not empty" in refused.stderr
    # Refused before anything was written: the database is still empty.
    with psycopg.connect(url(empty_database)) as restored:
        tables = restored.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)
    assert not (tmp_path / "new" / "private" / "petitions" / "photo.jpg").exists()

    forced = run("restore.sh", "--force", str(folder), **elsewhere)
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "new" / "private" / "petitions" / "photo.jpg").read_bytes() == photo.read_bytes()
    assert existing.read_bytes() == b"already here"
