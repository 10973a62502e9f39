#!/usr/bin/env bash
# Project-local PostgreSQL 15 + TimescaleDB + pgvector cluster for dev and CI.
#
#   scripts/pg.sh start        init (first time) + start; last stdout line is the URL
#   scripts/pg.sh stop         fast shutdown if running
#   scripts/pg.sh status       exit 0 if running, 1 if not
#   scripts/pg.sh url          print the connection URL
#   scripts/pg.sh psql [args]  psql connected to the URL (as role osa)
#                              (OSA_PG_SUPERUSER=1: as superuser "postgres" over the socket)
#
# Env: OSA_PG_DIR (default <repo>/.pg), OSA_PG_PORT (default 55432).
# Progress goes to stderr; only URLs go to stdout, so URL=$(scripts/pg.sh start) works.
#
# Auth: the server listens on 127.0.0.1 only. TCP uses scram-sha-256 with the
# fixed dev credentials osa/osa; the unix socket (in $OSA_PG_DIR/run, mode 0700)
# is trust and used only by this script for admin work. Dev/CI only.
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SCRIPT_DIR")
PG_MAJOR=15
BIN=/usr/lib/postgresql/$PG_MAJOR/bin

PGDIR=${OSA_PG_DIR:-$REPO/.pg}
[[ $PGDIR == /* ]] || PGDIR=$PWD/$PGDIR
PGDIR=${PGDIR%/}
PORT=${OSA_PG_PORT:-55432}
DATA=$PGDIR/data
LOGFILE=$PGDIR/postgres.log
MARKER=$PGDIR/.osa-pg
DB=osa
ROLE=osa
PASSWORD=osa

# Unix socket paths are limited to 107 bytes; deep checkouts fall back to /tmp.
RUNDIR=$PGDIR/run
if (( ${#RUNDIR} + ${#PORT} + 12 > 100 )); then
    RUNDIR=/tmp/osa-pg-$(printf '%s' "$PGDIR" | md5sum | cut -c1-12)
fi

log() { printf '[pg] %s\n' "$*" >&2; }
die() { printf '[pg] ERROR: %s\n' "$*" >&2; exit 1; }
on_err() { [[ $BASH_SUBSHELL == 0 ]] || return 0; printf '[pg] ERROR: command failed (exit %s) at line %s: %s\n' "$1" "$2" "$3" >&2; }
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

[[ $PORT =~ ^[0-9]+$ ]] || die "OSA_PG_PORT must be a number (got '$PORT')"

# initdb, pg_ctl and postgres refuse to run as root: as root we use the
# `postgres` OS user; as any other user we simply run as that user.
# fd 9 is our lock file: close it so a started server doesn't inherit (and hold) the lock.
if [[ $EUID -eq 0 ]]; then
    PG_USER=postgres
    as_pg() { (cd / && runuser -u "$PG_USER" -- "$@" 9>&-); }
else
    PG_USER=$(id -un)
    as_pg() { (cd / && "$@" 9>&-); }
fi

url_for_port() { printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$ROLE" "$PASSWORD" "$1" "$DB"; }

is_running() {
    [[ -f $DATA/postmaster.pid && -x $BIN/pg_ctl ]] || return 1
    as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

# Port of the running server (postmaster.pid line 4), else the configured one.
current_port() {
    local p=""
    if is_running; then p=$(sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true); fi
    printf '%s\n' "${p:-$PORT}"
}

# The socket dir the running server uses (line 5), else ours.
current_sockdir() {
    local d=""
    if is_running; then d=$(sed -n 5p "$DATA/postmaster.pid" 2>/dev/null || true); fi
    printf '%s\n' "${d:-$RUNDIR}"
}

lock() {
    mkdir -p "$PGDIR"
    exec 9>"$PGDIR/.pg.lock"
    flock 9
}

# Make sure the server user can create/own our directories.
prepare_dirs() {
    # Refuse to take over (chown) a directory we did not create, e.g. OSA_PG_DIR=/tmp.
    if [[ ! -f $MARKER ]]; then
        local f
        for f in "$PGDIR"/* "$PGDIR"/.[!.]*; do
            [[ -e $f && $f != "$PGDIR/.pg.lock" ]] || continue
            die "$PGDIR is not empty and was not created by pg.sh; point OSA_PG_DIR at a new directory"
        done
    fi
    mkdir -p "$PGDIR" "$RUNDIR"
    touch "$MARKER"
    if [[ $EUID -eq 0 ]]; then
        if ! id "$PG_USER" >/dev/null 2>&1; then
            log "creating OS user $PG_USER"
            useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
                --shell /bin/bash "$PG_USER"
        fi
        # Every ancestor must be searchable (x) by the server user; add only o+x.
        local d=$PGDIR
        while [[ $d != / ]]; do
            d=$(dirname "$d")
            if ! runuser -u "$PG_USER" -- test -x "$d"; then
                log "granting o+x on $d so user $PG_USER can reach $PGDIR"
                chmod o+x "$d"
            fi
        done
        chown "$PG_USER:" "$PGDIR" "$RUNDIR"
        [[ ! -e $LOGFILE ]] || chown "$PG_USER:" "$LOGFILE"
        if [[ -d $DATA && $(stat -c %U "$DATA") != "$PG_USER" ]]; then
            chown -R "$PG_USER:" "$DATA"
        fi
    fi
    chmod 700 "$RUNDIR"
}

write_config() {
    # Regenerated on every start so changes here reach existing clusters.
    cat >"$DATA/osa.conf" <<EOF
# Managed by scripts/pg.sh -- edits are overwritten on start.
listen_addresses = '127.0.0.1'          # loopback only
port = $PORT
unix_socket_directories = '$RUNDIR'     # no need for /var/run/postgresql
max_connections = 100
shared_buffers = 256MB
shared_preload_libraries = 'timescaledb'
timescaledb.telemetry_level = off
max_locks_per_transaction = 256         # queries over many chunks take many locks
timezone = 'UTC'                        # same results on every dev box / CI
log_timezone = 'UTC'
EOF
    grep -q "^include_if_exists = 'osa.conf'" "$DATA/postgresql.conf" \
        || printf "\ninclude_if_exists = 'osa.conf'\n" >>"$DATA/postgresql.conf"
    cat >"$DATA/pg_hba.conf" <<'EOF'
# Managed by scripts/pg.sh. Loopback-only dev/CI cluster.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust          # socket dir is 0700, server user only
host    all       all   127.0.0.1/32   scram-sha-256  # osa/osa
EOF
    [[ $EUID -ne 0 ]] || chown "$PG_USER:" "$DATA/osa.conf" "$DATA/pg_hba.conf"
}

admin_psql() {
    as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUNDIR" -p "$PORT" -U postgres "$@"
}

bootstrap_db() {
    admin_psql -d postgres >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN CREATEDB;
  END IF;
END \$\$;
ALTER ROLE $ROLE WITH LOGIN PASSWORD '$PASSWORD';
SELECT 'CREATE DATABASE $DB OWNER $ROLE' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB')\gexec
SQL
    admin_psql -d "$DB" >/dev/null <<'SQL'
SET client_min_messages = warning;
-- One transaction, so the job scheduler never sees the job below as scheduled.
BEGIN;
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE EXTENSION IF NOT EXISTS vector;
-- TimescaleDB's built-in "Job History Log Retention Policy" is TSL-only code: under
-- the Apache build it just fails and logs an error every few hours, and alter_job()
-- is TSL-only too (timescale/timescaledb#10191), so unschedule it in the catalog.
UPDATE _timescaledb_config.bgw_job SET scheduled = false
 WHERE proc_name = 'policy_job_stat_history_retention' AND scheduled
   AND current_setting('timescaledb.license') = 'apache';
COMMIT;
SQL
}

cmd_start() {
    # Fast no-op when already installed; builds the extensions on a fresh machine.
    bash "$SCRIPT_DIR/pg-install.sh" >&2
    lock
    if is_running; then
        log "already running (data: $DATA)"
        url_for_port "$(current_port)"
        return 0
    fi
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2; then
        die "something else already answers on 127.0.0.1:$PORT; stop it or set OSA_PG_PORT"
    fi
    local t0=$SECONDS
    prepare_dirs
    if [[ ! -f $DATA/PG_VERSION ]]; then
        log "initdb $DATA (as $PG_USER)"
        rm -rf "$DATA"
        as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --encoding=UTF8 --locale=C.UTF-8 --no-instructions >"$PGDIR/initdb.log" 2>&1 \
            || { cat "$PGDIR/initdb.log" >&2; die "initdb failed"; }
    fi
    write_config
    log "starting PostgreSQL $PG_MAJOR on 127.0.0.1:$PORT (log: $LOGFILE)"
    if ! as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 start >/dev/null; then
        tail -n 30 "$LOGFILE" >&2 || true
        die "server failed to start (see $LOGFILE)"
    fi
    local i
    for i in $(seq 1 60); do
        "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
        (( i < 60 )) || die "server did not become ready on 127.0.0.1:$PORT"
        sleep 0.5
    done
    bootstrap_db
    log "ready in $((SECONDS - t0)) s: database $DB with timescaledb + vector"
    url_for_port "$PORT"
}

cmd_stop() {
    [[ -d $PGDIR ]] || { log "not running (no $PGDIR)"; return 0; }
    lock
    if is_running; then
        log "stopping (fast)"
        as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
        log "stopped"
    else
        log "not running"
    fi
}

cmd_status() {
    if is_running; then
        log "running: pid $(head -n1 "$DATA/postmaster.pid"), data $DATA"
        url_for_port "$(current_port)"
        return 0
    fi
    log "not running"
    return 1
}

cmd_psql() {
    is_running || die "cluster is not running; run scripts/pg.sh start"
    if [[ ${OSA_PG_SUPERUSER:-0} == 1 ]]; then
        exec "$BIN/psql" -h "$(current_sockdir)" -p "$(current_port)" -U postgres -d "$DB" "$@"
    fi
    exec "$BIN/psql" "$(url_for_port "$(current_port)")" "$@"
}

case ${1:-} in
    start)  cmd_start ;;
    stop)   cmd_stop ;;
    status) if cmd_status; then exit 0; else exit 1; fi ;;
    url)    url_for_port "$(current_port)" ;;
    psql)   shift; cmd_psql "$@" ;;
    *)      printf 'usage: %s start|stop|status|url|psql [psql args]\n' "$0" >&2; exit 2 ;;
esac
