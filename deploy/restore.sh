#!/usr/bin/env bash
# Restore a backup.sh dump into a NEW, empty PostgreSQL database, then bring its schema up
# to this release with `hcp migrate`. It never restores over a database holding anything:
# point the service at the restored database once it is checked (docs/operations.md).
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: restore.sh [--no-migrate] DUMP TARGET_URL

  DUMP         a file written by backup.sh (pg_dump -Fc)
  TARGET_URL   an existing, empty database, e.g. postgres://hcp@db:5432/hcp_restored
               (create it first: createdb -O hcp hcp_restored). Connect as the role the
               service uses: the restored tables belong to the role that restores them.
  --no-migrate do not run `hcp migrate` afterwards
  -h, --help   this text

`hcp migrate` runs with HCP_DATABASE_URL=TARGET_URL and the rest of the environment as
given (load the service's settings first: set -a; . /etc/hcp/hcp.env; set +a). The hcp
command is $HCP_BIN (default: hcp on PATH).

Refuses (exit 3) when TARGET_URL already holds tables, sequences or views. Progress on
stderr; one JSON line on stdout at the end:
  {"restored": "<dump>", "database": "<name>", "migrated": true|false}
Exit codes: 0 done, 1 failed, 2 usage, 3 target not empty.
USAGE
}

fail() {
    echo "restore.sh: $*" >&2
    exit 1
}

migrate=true
args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --no-migrate) migrate=false; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "restore.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
[[ ${#args[@]} -eq 2 ]] || { usage >&2; exit 2; }
dump="${args[0]}"
target="${args[1]}"
case "$target" in
    postgres://*|postgresql://*) ;;
    *) echo "restore.sh: TARGET_URL must be a postgres:// URL" >&2; exit 2 ;;
esac
[[ -r "$dump" ]] || fail "cannot read $dump"
for tool in pg_restore psql; do
    command -v "$tool" >/dev/null || fail "$tool not found (Debian: apt-get install postgresql-client-<server major>)"
done
hcp="${HCP_BIN:-hcp}"
if $migrate; then
    command -v "$hcp" >/dev/null || fail "$hcp not found: set HCP_BIN=/opt/hcp/.venv/bin/hcp"
fi
name="${target##*/}"
name="${name%%\?*}"

pg_restore --list "$dump" >/dev/null || fail "$dump is not a readable pg_dump custom-format archive"

# Anything of its own in the target (tables, partitions, views, sequences, in any schema
# but the system's) means it is not the new database this is meant for.
existing="$(psql --no-psqlrc --quiet --tuples-only --no-align --dbname="$target" --command="
    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'")" \
    || fail "cannot connect to $name (it must exist: createdb -O hcp $name)"
if [[ "$existing" != "0" ]]; then
    echo "restore.sh: refusing to restore into $name: it already holds $existing tables, views or sequences." >&2
    echo "restore.sh: restore into a new database (createdb -O hcp NEW_NAME) and point HCP_DATABASE_URL at it once checked." >&2
    exit 3
fi

echo "restore.sh: restoring $dump into $name" >&2
# One transaction: a restore that fails half-way leaves the target empty, not half-filled.
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
    --dbname="$target" "$dump"

if $migrate; then
    echo "restore.sh: hcp migrate" >&2
    HCP_DATABASE_URL="$target" "$hcp" migrate >&2
fi
echo "restore.sh: done; check it (docs/operations.md, \"Testing a restore\") before serving from it" >&2
printf '{"restored": "%s", "database": "%s", "migrated": %s}\n' "$dump" "$name" "$migrate"
