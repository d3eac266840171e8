#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database and empty file folders.
#
#   scripts/restore.sh [--force] BACKUP_DIR
#
# Reads DATABASE_URL, DJANGO_VAR_DIR / DJANGO_MEDIA_ROOT / DJANGO_PRIVATE_MEDIA_ROOT like the
# portal (they may differ from the backed-up machine's: set both media roots). Checks the
# checksums first; refuses a database that already has tables, and file folders that are not
# empty (--force: copy the files over what is there; the database must still be empty). Nothing
# is written before every check passed. Afterwards: `manage.py migrate` (a newer release may add
# migrations) and `manage.py search_reindex` when ELASTICSEARCH_URL is set (the search index is
# rebuilt, never restored).
set -euo pipefail
umask 077  # the unpacked copy holds personal data

force=0
if [ "${1:-}" = "--force" ]; then
    force=1
    shift
fi
src=${1:?usage: scripts/restore.sh [--force] BACKUP_DIR}
: "${DATABASE_URL:?DATABASE_URL must point at an empty PostgreSQL database}"
(cd "$src" && sha256sum --check --quiet SHA256SUMS)

tables=$(psql "$DATABASE_URL" -At -c "select count(*) from information_schema.tables where table_schema = 'public'")
if [ "$tables" != "0" ]; then
    echo "restore.sh: the database already has $tables tables; restore into an empty database" >&2
    exit 2
fi

var_dir=${DJANGO_VAR_DIR:-var}
media_root=${DJANGO_MEDIA_ROOT:-$var_dir/media}
private_root=${DJANGO_PRIVATE_MEDIA_ROOT:-$var_dir/private}
for dir in "$media_root" "$private_root"; do
    if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ "$force" = 0 ]; then
        echo "restore.sh: $dir is not empty; restore into empty folders (or --force to copy over it)" >&2
        exit 2
    fi
done

pg_restore --no-owner --no-privileges --exit-on-error --dbname="$DATABASE_URL" "$src/database.dump"

old_media=$(sed -n 's/^media_root=//p' "$src/MANIFEST")
old_private=$(sed -n 's/^private_root=//p' "$src/MANIFEST")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The files keep their modes (and, as root, their owners) from the archive, not this umask;
# the unpacked copy stays inside the private temporary folder.
tar --extract --gzip --preserve-permissions --file="$src/files.tar.gz" --directory="$work"
copy() {  # the archived folder (path without its leading /) → the folder configured here
    local from="$work/${1#/}" to=$2
    [ -d "$from" ] || return 0
    mkdir -p "$to"
    cp -a "$from/." "$to/"
}
copy "$old_media" "$media_root"
copy "$old_private" "$private_root"
echo "restored $src"
