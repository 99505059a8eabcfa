#!/usr/bin/env bash
# The GPU check, under 10 minutes on one GPU:
#   1. training-step time, images/s and peak memory of Top-GAP vs its twin
#      in fp32, AMP and channels-last (benchmarks/bench_device_step.py);
#   2. one epoch on the embedded benchmark through tools/train.py --amp;
#   3. the same through tools/dist_train.sh CONFIG 1 (NCCL);
#   4. the CAM, ERF and PGD metrics' added time over a plain tools/test.py
#      run (benchmarks/bench_metrics.py).
# What it prints is appended, with the GPU's name, to benchmarks/RESULTS.md.
#
#   bash benchmarks/gpu_check.sh [--out FILE] [--quick]
#
#   --out FILE  append the results to FILE (default benchmarks/RESULTS.md)
#   --quick     fewer repeats (a smoke run of the script)
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
OUT=benchmarks/RESULTS.md
REPEATS=20
while [ $# -gt 0 ]; do
    case $1 in
        --out) [ $# -ge 2 ] || { echo "gpu_check.sh: --out needs a file" >&2; exit 2; }
               OUT=$2; shift 2 ;;
        --quick) REPEATS=3; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "gpu_check.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
PY=${PYTHON:-.venv/bin/python}
if ! "$PY" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
    echo "gpu_check.sh: torch ($PY) sees no GPU; run it on a machine with" \
         "one (nothing was written to $OUT)." >&2
    exit 3
fi

CONFIG=configs/topgap/resnet18_fashionbg_k16.py
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
EPOCH=(--cfg-options train_cfg.max_epochs=1 param_scheduler=[]
       default_hooks.checkpoint.interval=1)
run() {
    local start=$SECONDS
    "$@" > "$TMP/log" 2>&1 || { tail -30 "$TMP/log"; return 1; }
    echo "wall time $((SECONDS - start)) s"
    grep -E "Global batch|accuracy/top1" "$TMP/log" | tail -2 | sed 's/^.*INFO - //'
}
{
    echo
    echo "## GPU check: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | head -1), $(date -u +%F)"
    echo
    echo '`bash benchmarks/gpu_check.sh`'
    echo
    echo '### 1. Training step'
    "$PY" -W ignore benchmarks/bench_device_step.py \
        --pairs resnet18_224 resnet18_fashionbg_64 --repeats "$REPEATS"
    echo
    echo '### 2. One epoch, tools/train.py --amp'
    echo
    run "$PY" tools/train.py "$CONFIG" --amp --work-dir "$TMP/amp" "${EPOCH[@]}"
    echo
    echo '### 3. One epoch, tools/dist_train.sh CONFIG 1 (NCCL)'
    echo
    PYTHON=$PY run bash tools/dist_train.sh "$CONFIG" 1 --work-dir "$TMP/dist" "${EPOCH[@]}"
    echo
    echo '### 4. Added time of the metrics over a plain test run'
    "$PY" -W ignore benchmarks/bench_metrics.py --repeats 1
} | tee "$TMP/results.md"
cat "$TMP/results.md" >> "$OUT"
echo "[gpu_check] appended to $OUT"
