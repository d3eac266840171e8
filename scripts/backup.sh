#!/usr/bin/env bash
# Back up the portal: the PostgreSQL database (custom-format dump) and the uploaded files.
#
#   scripts/backup.sh DESTINATION_DIR
#
# Reads DATABASE_URL (postgres://...) and DJANGO_VAR_DIR / DJANGO_MEDIA_ROOT /
# DJANGO_PRIVATE_MEDIA_ROOT like the portal. Writes DESTINATION_DIR/petitions-<UTC time>/ with
# database.dump, files.tar.gz and SHA256SUMS, and prints that folder. Safe while the portal runs:
# pg_dump reads one consistent snapshot; files are only ever added (a photo uploaded during the
# backup may be in the archive without its petition, never the reverse for older petitions).
# The backup holds personal data: every folder and file it writes is private to its owner
# (umask 077: folders 700, files 600). In the compose deployment, run it through the `backup`
# service (pg_dump 16, the server's version). docs/operations.md: how often, where to keep
# copies, how to restore.
set -euo pipefail
umask 077

dest_root=${1:?usage: scripts/backup.sh DESTINATION_DIR}
: "${DATABASE_URL:?DATABASE_URL must point at the PostgreSQL database}"
case "$DATABASE_URL" in
    postgres://* | postgresql://*) ;;
    *) echo "backup.sh: DATABASE_URL is not PostgreSQL (SQLite: copy var/db.sqlite3 while stopped)" >&2; exit 2 ;;
esac

var_dir=${DJANGO_VAR_DIR:-var}
media_root=${DJANGO_MEDIA_ROOT:-$var_dir/media}
private_root=${DJANGO_PRIVATE_MEDIA_ROOT:-$var_dir/private}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
dest="$dest_root/petitions-$stamp"
mkdir -p "$dest"

# libpq does not know the postgres:// scheme's options Django accepts; it reads the URL itself.
pg_dump --format=custom --no-owner --no-privileges --file="$dest/database.dump" "$DATABASE_URL"

files=()
for dir in "$media_root" "$private_root"; do
    [ -d "$dir" ] && files+=("$dir")
done
if [ ${#files[@]} -gt 0 ]; then
    tar --create --gzip --file="$dest/files.tar.gz" --absolute-names --transform 's,^/,,' "${files[@]}"
else
    tar --create --gzip --file="$dest/files.tar.gz" --files-from=/dev/null
fi
printf '%s\n%s\n%s\n' "media_root=$media_root" "private_root=$private_root" "created=$stamp" > "$dest/MANIFEST"
(cd "$dest" && sha256sum database.dump files.tar.gz MANIFEST > SHA256SUMS)
echo "$dest"
