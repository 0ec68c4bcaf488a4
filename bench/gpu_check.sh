#!/usr/bin/env bash
# One prepared GPU check for a session that is lent a GPU (issue 29): run it once, from the repo
# root, with OUT set (the device machine sets it); about 6 minutes, hard-capped under 8.
#
#   OUT=/tmp/gpu-out bash bench/gpu_check.sh
#
# Writes under $OUT: nvidia-smi.txt, pytest-cuda.txt (the CUDA tests: graphs == eager, the fused
# CPU step untouched on CUDA), bench_engine.txt (engine vs textbook on the GPU), studies.txt
# (every study's shrunk preset trained on cuda:0 through the home's queue, warm workers on) with
# figures/*.svg and tables/*.md exported from those runs, and summary.txt (each step's exit code).
set -u
OUT="${OUT:-/tmp/overfit-gpu-check}"
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
export OVERFIT_TUI_WARM_S=5  # the queue's warm workers leave soon after the last preset
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
step() {  # step NAME SECONDS CMD...: run with a time cap, log to $OUT/NAME.txt, note the exit code
  local name=$1 cap=$2
  shift 2
  local t0=$SECONDS
  timeout --kill-after=10 "$cap" "$@" >"$OUT/$name.txt" 2>&1
  echo "$name: exit $? in $((SECONDS - t0)) s" | tee -a "$OUT/summary.txt"
}
: >"$OUT/summary.txt"
step nvidia-smi 20 nvidia-smi
step pytest-cuda 90 "$PY" -m pytest -q -p no:cacheprovider tests/engine/test_cuda.py tests/engine/test_fused.py
step bench_engine 120 "$PY" bench/bench_engine.py --device cuda --quick
step studies 240 "$PY" bench/gpu_check.py "$OUT" --device cuda:0 --budget 200
cat "$OUT/summary.txt"
