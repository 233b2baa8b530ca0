#!/usr/bin/env bash
# Back up hcp's PostgreSQL database: one custom-format dump (pg_dump -Fc) with a UTC
# timestamp in its name, read back in full before it is kept. The dump holds personal data
# sealed under the data key ring: it cannot be read without the ring, and the ring is NOT in
# it. Back the ring up separately (docs/operations.md, "Backup and restore").
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: backup.sh [--database URL] [--keep-days N] DIR

Writes DIR/hcp-<database>-<YYYYmmddTHHMMSSZ>.dump (mode 0600) with pg_dump -Fc, checks it
(pg_restore --list reads its table of contents, then the whole archive is read back), and
only then gives it its final name. Progress on stderr; one JSON line on stdout at the end:
  {"backup": "<path>", "bytes": N, "entries": N}

  --database URL   the database to dump (default: $HCP_DATABASE_URL); a libpq URL such as
                   postgres://hcp@db:5432/hcp. Keep the password in ~/.pgpass, not the URL.
  --keep-days N    afterwards, delete hcp-*.dump files in DIR older than N days
  -h, --help       this text

pg_dump must be of the server's major version or newer (`pg_dump --version`,
`psql -c 'SHOW server_version'`). Exit codes: 0 done, 1 failed, 2 usage.
USAGE
}

fail() {
    echo "backup.sh: $*" >&2
    exit 1
}

database="${HCP_DATABASE_URL:-}"
keep_days=""
dir=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --database) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; database="$2"; shift 2 ;;
        --keep-days) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; keep_days="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "backup.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
        *) [[ -z "$dir" ]] || { usage >&2; exit 2; }; dir="$1"; shift ;;
    esac
done
[[ -n "$dir" ]] || { usage >&2; exit 2; }
if [[ -n "$keep_days" && ! "$keep_days" =~ ^[0-9]+$ ]]; then
    echo "backup.sh: --keep-days takes a whole number of days, not '$keep_days'" >&2
    exit 2
fi
case "$database" in
    postgres://*|postgresql://*) ;;
    "") fail "no database: pass --database URL or set HCP_DATABASE_URL" ;;
    sqlite://*) fail "this is an SQLite database; back it up with: sqlite3 FILE \".backup 'COPY'\"" ;;
    *) fail "--database must be a postgres:// URL" ;;
esac
command -v pg_dump >/dev/null || fail "pg_dump not found (Debian: apt-get install postgresql-client-<server major>)"
[[ -d "$dir" ]] || fail "no such directory: $dir"

umask 077
name="${database##*/}"
name="${name%%\?*}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$dir/hcp-${name}-${stamp}.dump"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT

echo "backup.sh: dumping $name to $target" >&2
pg_dump --format=custom --compress=6 --file="$partial" --dbname="$database"

echo "backup.sh: checking the archive" >&2
entries="$(pg_restore --list "$partial" | grep -cv '^;')" || fail "pg_restore --list cannot read $partial"
[[ "$entries" -gt 0 ]] || fail "the archive lists nothing"
# --list reads only the table of contents; reading the archive as a script to /dev/null
# decompresses every table's data, so a truncated or corrupt dump is caught now.
pg_restore --file=/dev/null "$partial" || fail "the archive does not read back in full"

mv "$partial" "$target"
trap - EXIT
bytes="$(stat -c %s "$target")"
echo "backup.sh: kept $target ($bytes bytes, $entries entries)" >&2

if [[ -n "$keep_days" ]]; then
    find "$dir" -maxdepth 1 -name 'hcp-*.dump' -type f -mtime "+$keep_days" -print -delete \
        | sed 's/^/backup.sh: removed old /' >&2
fi

printf '{"backup": "%s", "bytes": %s, "entries": %s}\n' "$target" "$bytes" "$entries"
