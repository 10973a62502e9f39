#!/usr/bin/env bash
# Vendor the Vega JavaScript the dashboard inlines (osa/dashboard/static/): pinned versions fetched once from npm
# with `npm pack`, never at run time. Pin the same versions vl-convert-python bundles (python -c "import
# vl_convert as v; print(v.get_vega_version(), v.get_vegalite_versions(), v.get_vega_embed_version())") so the
# browser page and the PNG/SVG images come from the same library code.
#
# Usage: bash scripts/vendor-vega.sh [VEGA_VERSION VEGA_LITE_VERSION VEGA_EMBED_VERSION]
set -Eeuo pipefail

VEGA=${1:-6.2.0}
VEGA_LITE=${2:-6.4.1}
VEGA_EMBED=${3:-7.0.2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATIC="$ROOT/osa/dashboard/static"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

log() { printf '[vendor-vega] %s\n' "$*"; }

cd "$WORK"
npm pack --silent "vega@$VEGA" "vega-lite@$VEGA_LITE" "vega-embed@$VEGA_EMBED" >/dev/null
for package in vega vega-lite vega-embed; do
    mkdir "$package"
    tar xzf "$package"-[0-9]*.tgz -C "$package"
    cp "$package/package/build/$package.min.js" "$STATIC/$package.min.js"
    cp "$package/package/LICENSE" "$STATIC/$package-LICENSE.txt"
done

VEGA="$VEGA" VEGA_LITE="$VEGA_LITE" VEGA_EMBED="$VEGA_EMBED" STATIC="$STATIC" python3 - <<'PY'
import hashlib, json, os, subprocess
from pathlib import Path

static = Path(os.environ["STATIC"])
packages = {"vega": os.environ["VEGA"], "vega-lite": os.environ["VEGA_LITE"], "vega-embed": os.environ["VEGA_EMBED"]}
versions = {}
for name, version in packages.items():
    integrity = subprocess.run(
        ["npm", "view", f"{name}@{version}", "dist.integrity"], check=True, capture_output=True, text=True
    ).stdout.strip()
    script = static / f"{name}.min.js"
    versions[name] = {
        "version": version,
        "file": script.name,
        "sha256": hashlib.sha256(script.read_bytes()).hexdigest(),
        "npm_integrity": integrity,
        "license": f"{name}-LICENSE.txt",
    }
(static / "versions.json").write_text(json.dumps(versions, indent=2) + "\n")
PY
log "vendored vega $VEGA, vega-lite $VEGA_LITE, vega-embed $VEGA_EMBED into $STATIC"
