#!/usr/bin/env bash
# Install PostgreSQL 15 + TimescaleDB (Apache edition) + pgvector on Debian bookworm.
#
# Idempotent: when both extensions are already installed for PG 15 this exits
# in well under a second without touching apt.
#
# Bookworm ships neither TimescaleDB nor pgvector for PG 15, so we build
# Debian trixie's *source* packages (timescaledb 2.19.x, pgvector 0.8.x)
# against bookworm's PG 15. Sources are fetched through a private apt
# configuration (own sources.list, lists and cache dirs under the build cache),
# so the system's apt setup is never changed and no trixie binary is installed.
#
# Env:
#   OSA_BUILD_CACHE     build/download cache (default /var/cache/osa-pg-build)
#   OSA_DEBIAN_MIRROR   override the Debian mirror used for trixie sources
#   OSA_PG_FORCE_BUILD  =1 rebuilds the extensions even if already installed
set -Eeuo pipefail

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BIN/pg_config
CACHE=${OSA_BUILD_CACHE:-/var/cache/osa-pg-build}
SRC_SUITE=trixie
JOBS=$(nproc 2>/dev/null || echo 2)

log() { printf '[pg-install] %s\n' "$*"; }
die() { printf '[pg-install] ERROR: %s\n' "$*" >&2; exit 1; }
# Report only in the main shell; failures inside $(...) are reported by their caller.
on_err() { [[ $BASH_SUBSHELL == 0 ]] || return 0; printf '[pg-install] ERROR: command failed (exit %s) at line %s: %s\n' "$1" "$2" "$3" >&2; }
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

# --- fast path ----------------------------------------------------------------
extensions_installed() {
    [[ -x $PG_CONFIG && -x $PG_BIN/postgres ]] || return 1
    local share lib
    share=$("$PG_CONFIG" --sharedir)/extension
    lib=$("$PG_CONFIG" --pkglibdir)
    [[ -f $share/timescaledb.control && -f $share/vector.control && -f $lib/vector.so ]] || return 1
    # timescaledb.so is the loader; timescaledb-<version>.so is the real module.
    [[ -f $lib/timescaledb.so ]] && compgen -G "$lib/timescaledb-[0-9]*.so" >/dev/null
}

if [[ ${OSA_PG_FORCE_BUILD:-0} != 1 ]] && extensions_installed; then
    log "PostgreSQL $PG_MAJOR + timescaledb + vector already installed; nothing to do."
    exit 0
fi

# Everything below needs root (apt, make install into /usr).
if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        log "not root: re-running with sudo"
        exec sudo --preserve-env=OSA_BUILD_CACHE,OSA_DEBIAN_MIRROR,OSA_PG_FORCE_BUILD bash "$0" "$@"
    fi
    die "must run as root (or with sudo available) to install packages"
fi

# shellcheck source=/dev/null
[[ -r /etc/os-release ]] && . /etc/os-release
[[ ${ID:-} == debian ]] || die "this installer supports Debian only (found ID=${ID:-unknown})"
CODENAME=${VERSION_CODENAME:-bookworm}
[[ $CODENAME == bookworm ]] || log "warning: tested on bookworm, this is $CODENAME"

export DEBIAN_FRONTEND=noninteractive
START_TS=$SECONDS
mkdir -p "$CACHE"

# Serialise concurrent runs (e.g. two `pg.sh start` at once on a fresh box).
exec 8>"$CACHE/.install.lock"
flock 8
if [[ ${OSA_PG_FORCE_BUILD:-0} != 1 ]] && extensions_installed; then
    log "installed by a concurrent run; nothing to do."
    exit 0
fi

# --- apt helpers ---------------------------------------------------------------
pkg_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

APT_UPDATED=0
apt_update_once() {
    if [[ $APT_UPDATED == 0 ]]; then
        log "apt-get update (system lists)"
        apt-get update -qq
        APT_UPDATED=1
    fi
}

apt_install() {
    apt_update_once
    log "apt-get install $*"
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Keep apt from starting Debian's default cluster (port 5432) while we install:
# we never use it. Only add a policy-rc.d if the machine has none, and remove it after.
POLICY_RC=/usr/sbin/policy-rc.d
ADDED_POLICY_RC=0
cleanup() {
    if [[ $ADDED_POLICY_RC == 1 ]]; then rm -f "$POLICY_RC"; fi
}
trap cleanup EXIT
block_service_start() {
    if [[ ! -e $POLICY_RC ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"
        chmod 755 "$POLICY_RC"
        ADDED_POLICY_RC=1
    fi
}

# --- 1. server + client ------------------------------------------------------------
if ! pkg_installed postgresql-$PG_MAJOR || ! pkg_installed postgresql-client-$PG_MAJOR; then
    block_service_start
    apt_install postgresql-$PG_MAJOR postgresql-client-$PG_MAJOR
else
    log "postgresql-$PG_MAJOR already installed"
fi
PG_VERSION_DEB=$(dpkg-query -W -f='${Version}' postgresql-$PG_MAJOR)
log "server package: postgresql-$PG_MAJOR $PG_VERSION_DEB"

# --- 2. headers pinned to the server version + build tools ---------------------------
# Headers must match the installed server exactly; a plain install would pull the
# newest postgresql-server-dev-15 and, through its deps, upgrade the server too.
need=()
for p in build-essential cmake dpkg-dev xz-utils libssl-dev libkrb5-dev; do
    pkg_installed "$p" || need+=("$p")
done
dev_ver=$(dpkg-query -W -f='${Version}' postgresql-server-dev-$PG_MAJOR 2>/dev/null || true)
if ! pkg_installed postgresql-server-dev-$PG_MAJOR || [[ $dev_ver != "$PG_VERSION_DEB" ]]; then
    need+=("postgresql-server-dev-$PG_MAJOR=$PG_VERSION_DEB")
fi
if ((${#need[@]})); then
    block_service_start
    if ! apt_install --no-upgrade "${need[@]}"; then
        # The mirror may no longer carry the exact installed server version.
        # Fall back to moving server and headers together to the candidate version.
        log "pinned install failed; upgrading postgresql-$PG_MAJOR and its headers together"
        rest=()
        for p in "${need[@]}"; do [[ $p == postgresql-server-dev-* ]] || rest+=("$p"); done
        apt_install "${rest[@]}" postgresql-$PG_MAJOR postgresql-client-$PG_MAJOR postgresql-server-dev-$PG_MAJOR
        PG_VERSION_DEB=$(dpkg-query -W -f='${Version}' postgresql-$PG_MAJOR)
    fi
else
    log "build dependencies already installed"
fi
[[ -x $PG_CONFIG ]] || die "$PG_CONFIG missing after install"
[[ -f $("$PG_CONFIG" --includedir-server)/postgres.h ]] || die "server headers missing ($("$PG_CONFIG" --includedir-server))"
log "pg_config: $("$PG_CONFIG" --version)"

# --- 3. fetch trixie source packages via a private apt config ----------------------
system_mirror() {
    # deb822 .sources files: first stanza with Types: deb, suite $CODENAME, not security.
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        awk -v code="$CODENAME" '
            function flush() { if (deb && suite && uri != "" && uri !~ /security/) { print uri; found=1; exit } deb=0; suite=0; uri="" }
            /^[[:space:]]*$/ { flush(); next }
            /^Types:/  { for (i=2;i<=NF;i++) if ($i=="deb") deb=1 }
            /^Suites:/ { for (i=2;i<=NF;i++) if ($i==code) suite=1 }
            /^URIs:/   { uri=$2 }
            END { if (!found) flush() }' "$f"
    done
    # one-line sources.list format: deb [opts] URI SUITE COMPONENTS
    local l
    for l in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $l ]] || continue
        sed -e 's/\[[^]]*\]//' "$l" | awk -v code="$CODENAME" '$1=="deb" && $3==code && $2 !~ /security/ { print $2 }'
    done
}
MIRROR=${OSA_DEBIAN_MIRROR:-$(system_mirror | head -n1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
MIRROR=${MIRROR%/}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -f $KEYRING ]] || apt_install debian-archive-keyring
log "fetching $SRC_SUITE sources from $MIRROR"

APT_DIR=$CACHE/apt
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
printf 'deb-src [signed-by=%s] %s %s main\n' "$KEYRING" "$MIRROR" "$SRC_SUITE" >"$APT_DIR/sources.list"
PRIV_APT=(
    -o "Dir::Etc::SourceList=$APT_DIR/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$APT_DIR/lists"
    -o "Dir::Cache=$APT_DIR/cache"
    # cache dirs are root-only; the unprivileged _apt download user can't write them
    -o "APT::Sandbox::User=root"
)
apt-get "${PRIV_APT[@]}" update -qq --error-on=any || die "could not update private $SRC_SUITE source list from $MIRROR"

SRC_DIR=$CACHE/src
BUILD_DIR=$CACHE/build
mkdir -p "$SRC_DIR" "$BUILD_DIR"

# fetch_and_unpack SRCPKG -> prints unpacked source dir
fetch_and_unpack() {
    local pkg=$1 ver dsc dir
    ver=$(apt-cache "${PRIV_APT[@]}" showsrc "$pkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }' || true)
    [[ -n $ver ]] || die "source package $pkg not found in $SRC_SUITE"
    dsc=$SRC_DIR/${pkg}_${ver#*:}.dsc
    if [[ ! -f $dsc ]]; then
        log "downloading source $pkg $ver" >&2
        (cd "$SRC_DIR" && apt-get "${PRIV_APT[@]}" source --download-only -qq "$pkg=$ver" >/dev/null)
    else
        log "source $pkg $ver already downloaded" >&2
    fi
    [[ -f $dsc ]] || die "download of $pkg $ver did not produce $dsc"
    dir=$BUILD_DIR/$pkg-${ver#*:}
    rm -rf "$dir"   # always unpack fresh: a half-finished earlier build must not leak in
    # --no-check: the uploader keyring isn't installed; file checksums are still
    # verified against the .dsc, whose hash came from the signed Sources index.
    dpkg-source --no-check -x "$dsc" "$dir" >/dev/null
    printf '%s\n' "$dir"
}

TS_SRC=$(fetch_and_unpack timescaledb)
PV_SRC=$(fetch_and_unpack pgvector)

# --- 4. build + install ----------------------------------------------------------------
log "building TimescaleDB (Apache-only) in $TS_SRC"
t0=$SECONDS
# Same switches Debian uses (debian/rules), minus tests; the +dfsg tarball has no tsl/.
cmake -S "$TS_SRC" -B "$TS_SRC/build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DPG_CONFIG="$PG_CONFIG" \
    -DAPACHE_ONLY=1 \
    -DUSE_TELEMETRY=OFF \
    -DSEND_TELEMETRY_DEFAULT=OFF \
    -DREGRESS_CHECKS=OFF \
    -DTAP_CHECKS=OFF \
    -DWARNINGS_AS_ERRORS=OFF >"$TS_SRC/cmake.log" 2>&1 \
    || { tail -n 40 "$TS_SRC/cmake.log" >&2; die "TimescaleDB cmake configure failed (log: $TS_SRC/cmake.log)"; }
make -C "$TS_SRC/build" -j"$JOBS" install >"$TS_SRC/make.log" 2>&1 \
    || { tail -n 40 "$TS_SRC/make.log" >&2; die "TimescaleDB build failed (log: $TS_SRC/make.log)"; }
log "TimescaleDB installed ($((SECONDS - t0)) s)"

log "building pgvector in $PV_SRC"
t0=$SECONDS
# OPTFLAGS="" keeps -march=native out (Debian's no-native patch does the same), so
# the .so also runs on other CPUs.
{ make -C "$PV_SRC" -j"$JOBS" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" \
    && make -C "$PV_SRC" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" install; } >"$PV_SRC/make.log" 2>&1 \
    || { tail -n 40 "$PV_SRC/make.log" >&2; die "pgvector build failed (log: $PV_SRC/make.log)"; }
log "pgvector installed ($((SECONDS - t0)) s)"

extensions_installed || die "build finished but extension files are missing under $("$PG_CONFIG" --sharedir)/extension"
log "done in $((SECONDS - START_TS)) s: timescaledb + vector installed for PostgreSQL $PG_MAJOR"
