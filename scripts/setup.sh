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
  exit 0
fi
python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# Browser tests drive Debian's chromium (Playwright's own browser download cannot work offline).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "error: the browser tests need Debian's chromium: run 'sudo apt-get install chromium', then this script again" >&2
    exit 1
  fi
fi
python -m pip check >/dev/null
