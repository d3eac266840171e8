"""The JSON API against its own OpenAPI document: schemathesis, every check, on a real server.

    .venv/bin/python bench/schemathesis_run.py [--max-examples N] [--seed N] [--phases LIST]
        [--database-url URL] [--keep] [--json out.json]

What it runs:

1. a throw-away database: SQLite in a temporary directory (default), or the PostgreSQL database
   ``--database-url`` names (its name must contain ``bench``; dropped, created and dropped again at
   the end unless ``--keep``), migrated, ``load_units``; the categories come with the migrations;
2. the cast, through the services: a commune leader and an officer at Phường Hoàn Kiếm (W00070)
   with a unit membership each, the leader with a DRF token; a partner with an API key (its rate
   raised); a dozen petitions whose cases are left submitted, in progress, waiting for an agency,
   pending approval, responded and duplicate;
3. daphne serving ``config.asgi:application`` on a free loopback port (``DJANGO_DEBUG=0``, in-process
   jobs, in-memory SMS and email, the local-memory cache), every API and portal rate limit raised
   (``RATE_*``: the fuzzer sends thousands of requests from one address, and 429s would hide the
   answers it is checking);
4. the schemathesis CLI, ``--checks all`` with ``bench/schemathesis.toml`` (examples, coverage,
   fuzzing and stateful phases; every setting that departs from a default says why), twice:

   - ``staff``: every operation, with the leader's token (``Authorization: Token …``) where the
     schema asks for ``tokenAuth``; the public operations without a partner key;
   - ``partner``: the public operations, with the partner's key (``X-API-Key``) where the schema
     offers ``partnerKey``.

   Half of the generated case ids, tracking codes, versions and user ids are real ones (the
   ``[dictionaries]`` the script appends to the configuration), so the forms and services behind
   an action are reached, not only the 404s.

It prints, per run, the operations tested, the requests sent (from the HAR report), the answers by
status class, the server errors (5xx answers, and tracebacks in daphne's log) and the failures by
check; with ``--json`` it writes all of it. Exit status 1 when any run has a server error or a
failure of any check (a schema violation included), or did not complete.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import free_port, git_revision, loadavg, wait_for

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DAPHNE = ROOT / ".venv" / "bin" / "daphne"
SCHEMATHESIS = ROOT / ".venv" / "bin" / "schemathesis"
CONFIG = BENCH / "schemathesis.toml"
#: High enough that no limit is reached in a run (django-ratelimit: count/period).
UNLIMITED_RATE = "100000000/h"
RATE_SETTINGS = (
    "RATE_SUBMIT_IP",
    "RATE_SUBMIT_PHONE",
    "RATE_TRACK_IP",
    "RATE_TRACK_CODE",
    "RATE_FEEDBACK_IP",
    "RATE_UPLOAD_IP",
    "RATE_SUGGEST_IP",
    "RATE_OPEN311_IP",
    "RATE_ADD_INFO_CODE",
    "RATE_API_STAFF",
)
#: The two runs: the security scheme whose credential each sends (from the environment, never
#: written to a file), and the operations it covers.
RUNS: dict[str, tuple[str, str, list[str]]] = {
    "staff": ("tokenAuth", "Token ${SCHEMATHESIS_STAFF_TOKEN}", []),
    "partner": ("partnerKey", "${SCHEMATHESIS_PARTNER_KEY}", ["--include-tag", "public"]),
}
COMMUNE = "W00070"


# --- the database and the cast (run in a child process with Django set up) ------------------------


def prepare() -> dict[str, Any]:
    """The cast and cases the fuzzer acts on; what the dictionaries need, as JSON on stdout."""
    import datetime as dt

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from petitions.models import Category, Partner, PartnerKey
    from petitions.services import Submission, petition_submit
    from routing import services
    from routing.models import Level, Membership, Role, Unit

    commune = Unit.objects.get(code=COMMUNE)
    leader = User.objects.create_user(username="bench.leader", password=secrets.token_urlsafe(16))
    Membership.objects.create(user=leader, unit=commune, role=Role.LEADER)
    officer = User.objects.create_user(username="bench.officer", password=secrets.token_urlsafe(16))
    Membership.objects.create(user=officer, unit=commune, role=Role.OFFICER)
    token = Token.objects.create(user=leader)

    partner = Partner.objects.create(
        name="Bench partner", contact_email="bench@example.com", rate_limit="100000000/h"
    )
    raw_key = PartnerKey.generate()
    key = PartnerKey(partner=partner, label="schemathesis")
    key.set_key(raw_key)
    key.save()

    category = Category.objects.filter(is_active=True, allows_anonymous=False).order_by("position").first()
    assert category is not None
    submitted: list[Any] = []

    def submit(turn: int) -> Any:
        result = petition_submit(
            submission=Submission(
                category=category,
                commune=commune,
                phone=f"09{12345000 + turn:08d}",
                submitter_name="Nguyễn Văn An",
                title=f"Rác thải ùn ứ trên phố Hàng Bông, lần {turn}",
                text="Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi cho cả khu phố.",
            )
        )
        submitted.append(result)
        return result

    cases = [submit(turn).petition.case for turn in range(12)]
    due = timezone.localdate() + dt.timedelta(days=10)
    # Submitted: cases[0:4]; the others moved on by the services, as the back office would.
    for case in cases[4:10]:
        services.case_accept(case_id=case.pk, actor=officer)
    services.case_refer(case_id=cases[5].pk, actor=officer, agency="Sở Xây dựng", due=due)
    for case in cases[6:9]:
        services.case_submit_response(case_id=case.pk, actor=officer, text="Đã xử lý xong.")
    services.case_approve(case_id=cases[8].pk, actor=leader)
    services.case_mark_duplicate(case_id=cases[10].pk, actor=officer, original_id=cases[9].pk)
    services.case_reject(case_id=cases[11].pk, actor=officer, reason="Ngoài phạm vi.")

    provinces = list(Unit.objects.filter(level=Level.PROVINCE).values_list("code", "admin_code")[:3])
    communes = list(Unit.objects.filter(parent=commune.parent).values_list("code", flat=True)[:5])
    return {
        "token": token.key,
        "partner_key": raw_key,
        "case_ids": [case.pk for case in cases],
        "versions": sorted({case.version for case in type(cases[0]).objects.all()} | {1, 2, 3}),
        "tracking_codes": [result.petition.tracking_code for result in submitted],
        "tracking_tokens": [result.token for result in submitted[:3]],
        "officer_ids": [officer.pk, leader.pk],
        "categories": list(Category.objects.values_list("code", flat=True)[:5]),
        "provinces": [code for code, _ in provinces] + [f"{n:02d}" for _, n in provinces if n],
        "communes": communes,
    }


def toml_values(values: list[Any]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def run_config(name: str, world: dict[str, Any], workdir: Path) -> Path:
    """``bench/schemathesis.toml`` with this run's credential scheme and real data appended."""
    scheme, credential, _operations = RUNS[name]
    dictionaries = {
        "case-ids": world["case_ids"],
        "versions": world["versions"],
        "codes": world["tracking_codes"][:4] + world["provinces"],
        "tracking-tokens": world["tracking_tokens"],
        "officer-ids": world["officer_ids"],
        "categories": world["categories"],
        "communes": world["communes"],
    }
    text = CONFIG.read_text()
    text += "\n# --- appended by bench/schemathesis_run.py: this run's credential and real data ---\n"
    text += f"\n[auth.openapi.{scheme}]\napi_key = {json.dumps(credential)}\n"
    for dictionary, values in dictionaries.items():
        text += f"\n[dictionaries.{dictionary}]\nvalues = {toml_values(values)}\n"
    path = workdir / f"schemathesis-{name}.toml"
    path.write_text(text)
    return path


# --- database ---------------------------------------------------------------------------------------


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _admin_url(url: str) -> str:
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    return parts._replace(path="/postgres").geturl()


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    name = sql.Identifier(database_name(url))
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def server_env(args: argparse.Namespace, port: int, workdir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_VAR_DIR": str(workdir),
        "SMS_BACKEND": "notifications.transports.sms.LocmemSmsBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "plain",
        "PYTHONPATH": str(ROOT),
        **dict.fromkeys(RATE_SETTINGS, UNLIMITED_RATE),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "ELASTICSEARCH_URL", "OPENSEARCH_URL"):
        env.pop(name, None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    return env


# --- the runs -----------------------------------------------------------------------------------


def har_summary(path: Path) -> dict[str, Any]:
    """Requests sent and answers by status, from schemathesis' HAR report."""
    if not path.exists():
        return {"requests": 0, "statuses": {}, "server_errors": []}
    entries = json.loads(path.read_text())["log"]["entries"]
    statuses: collections.Counter[str] = collections.Counter()
    server_errors = []
    for entry in entries:
        status = int(entry["response"]["status"])
        statuses[f"{status // 100}xx"] += 1
        if status >= 500:
            request = entry["request"]
            server_errors.append(f"{status} {request['method']} {urlsplit(request['url']).path}")
    return {
        "requests": len(entries),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": server_errors,
    }


def schemathesis_run(
    name: str, args: argparse.Namespace, world: dict[str, Any], base: str, env: dict[str, str], workdir: Path
) -> dict[str, Any]:
    config = run_config(name, world, workdir)
    reports = workdir / f"report-{name}"
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{base}/api/schema/?format=json",
        "--url",
        base,
        "--checks",
        "all",
        "--report",
        "json,har",
        "--report-dir",
        str(reports),
        "--no-color",
        *RUNS[name][2],
    ]
    if args.max_examples:
        command += ["--max-examples", str(args.max_examples)]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    if args.phases:
        command += ["--phases", args.phases]
    print(f"== {name}: schemathesis {' '.join(command[4:])}", flush=True)
    started = time.monotonic()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    seconds = time.monotonic() - started
    (workdir / f"schemathesis-{name}.txt").write_text(done.stdout + done.stderr)
    report_file = next(iter(sorted(reports.glob("json-*.json"))), None)
    report = json.loads(report_file.read_text()) if report_file is not None else {}
    har = har_summary(next(iter(sorted(reports.glob("har-*.json"))), reports / "missing.har"))
    by_check: collections.Counter[str] = collections.Counter()
    failures = []
    for group in report.get("failures", []):
        by_check[f"{group.get('code')} {group.get('title')}"] += int(group.get("count", 1))
        failures.append(group)
    return {
        "seconds": round(seconds, 1),
        "exit_code": done.returncode,
        "complete": bool(report.get("complete")),
        "operations": report.get("operations"),
        "test_cases": report.get("test_cases"),
        "requests": har["requests"],
        "statuses": har["statuses"],
        "server_errors": har["server_errors"],
        "failures_by_check": dict(sorted(by_check.items())),
        "failures": failures,
        "errors": report.get("errors", []),
        "warnings": report.get("warnings", []),
        "output": str(workdir / f"schemathesis-{name}.txt"),
    }


def server_errors_logged(log: Path) -> list[str]:
    """Every request daphne's Django answered with a 500 (also outside the API, e.g. schemathesis' probes)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return [
        line.split("] ", 1)[-1]
        for line in text.splitlines()
        if " ERROR " in line or line.startswith("Traceback")
    ]


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:] == ["_prepare"]:
        print(json.dumps(prepare()))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, help="per operation (default: the configuration's)")
    parser.add_argument("--seed", type=int, help="schemathesis' random seed (default: a new one)")
    parser.add_argument("--phases", help="e.g. examples,fuzzing (default: all four)")
    parser.add_argument("--only", choices=sorted(RUNS), help="one run only")
    parser.add_argument(
        "--database-url", help="a PostgreSQL database to drop, create and use (its name must contain 'bench')"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and database")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    if args.database_url and "bench" not in database_name(args.database_url):
        parser.error("the database's name must contain 'bench': it is dropped")

    workdir = Path(tempfile.mkdtemp(prefix="schemathesis-run-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(args, port, workdir)
    if args.database_url:
        recreate_database(args.database_url)
    started = time.monotonic()
    print(f"setting up in {workdir}: migrate, load_units, collectstatic, the cast and cases")
    # Static files as in production: with DEBUG off, a page that names one missing from the
    # manifest is a 500 (schemathesis' probe of an unknown address gets the 404 page).
    for command in (
        ["migrate", "-v", "0"],
        ["load_units", "-v", "0"],
        ["collectstatic", "--noinput", "-v", "0"],
    ):
        subprocess.run(  # noqa: S603 (our own command)
            [PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
    prepared = subprocess.run(  # noqa: S603 (this script)
        [PYTHON, __file__, "_prepare"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    world = json.loads(prepared.stdout.strip().splitlines()[-1])
    log_path = workdir / "daphne.log"
    log = log_path.open("w")
    server = subprocess.Popen(  # noqa: S603 (our own server)
        [str(DAPHNE), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    runs: dict[str, Any] = {}
    try:
        wait_for(f"{base}/healthz")
        client_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SCHEMATHESIS_")},
            "SCHEMATHESIS_STAFF_TOKEN": world["token"],
            "SCHEMATHESIS_PARTNER_KEY": world["partner_key"],
        }
        for name in RUNS:
            if args.only and name != args.only:
                continue
            runs[name] = schemathesis_run(name, args, world, base, client_env, workdir)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    server_tracebacks = server_errors_logged(log_path)
    report = {
        "git": git_revision(),
        "loadavg": loadavg(),
        "seconds": round(time.monotonic() - started, 1),
        "database": "postgresql" if args.database_url else "sqlite",
        "runs": runs,
        "server_errors_logged": server_tracebacks,
        "workdir": str(workdir),
    }
    ok = not server_tracebacks
    for name, run in runs.items():
        run_ok = run["complete"] and not run["server_errors"] and not run["failures"] and not run["errors"]
        ok = ok and run_ok
        operations = run["operations"] or {}
        print(
            f"{name:8} {'ok' if run_ok else 'FAILED'}: {operations.get('tested', 0)} operations, "
            f"{run['requests']} requests {run['statuses']} in {run['seconds']:.0f} s; "
            f"server errors {len(run['server_errors'])}; failures by check {run['failures_by_check'] or 'none'}"
        )
        for failure in run["failures"]:
            print(
                f"    {failure.get('code')}: {failure.get('title')} ×{failure.get('count')} {failure.get('operations')}"
            )
        for error in run["errors"]:
            print(f"    error: {error['title']} ×{error['count']}")
    print(f"errors in daphne's log: {len(server_tracebacks)}")
    for line in collections.Counter(server_tracebacks).most_common():
        print(f"    {line[1]} × {line[0]}")
    report["ok"] = ok
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    if args.database_url and not args.keep:
        recreate_database(args.database_url, drop_only=True)
    if not args.keep and ok:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"reports and daphne's log in {workdir}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
