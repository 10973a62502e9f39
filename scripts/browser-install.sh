#!/usr/bin/env bash
# Install Debian's chromium for the browser test (tests/test_ui_browser.py drives it headless through
# Playwright with executable_path=/usr/bin/chromium). Nothing here downloads a Playwright browser build.
#
# Idempotent: when chromium is already on PATH this exits at once without touching apt.
set -Eeuo pipefail

log() { printf '[browser-install] %s\n' "$*"; }
die() { printf '[browser-install] ERROR: %s\n' "$*" >&2; exit 1; }

if command -v chromium >/dev/null 2>&1; then
    log "chromium already installed ($(command -v chromium)); nothing to do."
    exit 0
fi

if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        log "not root: re-running with sudo"
        exec sudo bash "$0" "$@"
    fi
    die "must run as root (or with sudo available) to install chromium"
fi

export DEBIAN_FRONTEND=noninteractive
START_TS=$SECONDS
log "apt-get update"
apt-get update -qq
log "apt-get install chromium"
apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null 2>&1 || die "chromium missing after install"
log "done in $((SECONDS - START_TS)) s: $(chromium --version 2>/dev/null || echo chromium)"
