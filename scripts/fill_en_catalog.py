"""Complete the English catalog: English is the source language, so msgstr = msgid.

Run after `make makemessages`. Existing translations are kept; empty and fuzzy
entries get their msgid (plurals: msgstr[0] = msgid, msgstr[1] = msgid_plural).
Running it twice changes nothing.

Usage: python scripts/fill_en_catalog.py [path/to/django.po ...]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
HEADER = {"Language": "en", "Plural-Forms": "nplurals=2; plural=(n != 1);"}
KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) ")


def split_entry(lines: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Comment lines, and each keyword's quoted lines (the keyword itself stripped)."""
    comments: list[str] = []
    fields: dict[str, list[str]] = {}
    key = ""
    for line in lines:
        match = KEYWORD.match(line)
        if line.startswith("#"):  # comments, flags, and obsolete `#~` entries
            comments.append(line)
        elif match:
            key = match.group(1)
            fields[key] = [line[match.end() :]]
        else:
            fields[key].append(line)
    return comments, fields


def is_empty(lines: list[str] | None) -> bool:
    return not lines or all(line == '""' for line in lines)


def drop_fuzzy(comments: list[str]) -> list[str]:
    kept = []
    for line in comments:
        if line.startswith("#|"):  # previous msgid of a fuzzy match
            continue
        if line.startswith("#,"):
            flags = [flag.strip() for flag in line[2:].split(",") if flag.strip() != "fuzzy"]
            if not flags:
                continue
            line = "#, " + ", ".join(flags)
        kept.append(line)
    return kept


def fix_header(lines: list[str]) -> list[str]:
    wanted = dict(HEADER)
    out = []
    for line in lines:
        name = line[1:].split(":", 1)[0]
        out.append(f'"{name}: {wanted.pop(name)}\\n"' if name in wanted else line)
    return out + [f'"{name}: {value}\\n"' for name, value in wanted.items()]


def fill_entry(lines: list[str]) -> list[str]:
    comments, fields = split_entry(lines)
    if "msgid" not in fields:
        return lines
    fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in comments)
    comments = drop_fuzzy(comments)
    if is_empty(fields["msgid"]):
        fields["msgstr"] = fix_header(fields["msgstr"])
    elif "msgid_plural" in fields:
        for key, source in (("msgstr[0]", "msgid"), ("msgstr[1]", "msgid_plural")):
            if fuzzy or is_empty(fields.get(key)):
                fields[key] = fields[source]
    elif fuzzy or is_empty(fields["msgstr"]):
        fields["msgstr"] = fields["msgid"]
    body = []
    for key, quoted in fields.items():
        body += [f"{key} {quoted[0]}", *quoted[1:]]
    return comments + body


def fill(path: Path) -> None:
    entries = path.read_text(encoding="utf-8").strip("\n").split("\n\n")
    filled = ["\n".join(fill_entry(entry.split("\n"))) for entry in entries]
    path.write_text("\n\n".join(filled) + "\n", encoding="utf-8")


if __name__ == "__main__":
    for arg in sys.argv[1:] or [str(DEFAULT)]:
        fill(Path(arg))
