#!/usr/bin/env bash
# The main job on the embedded benchmark: set up, train Top-GAP and its
# standard twin, test both on the in-distribution and out-of-distribution
# splits, print the accuracies. Re-running continues unfinished trainings
# (--resume) and reuses finished ones.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup_env.sh
PY=${VENV:-.venv}/bin/python
OUT=${WORK_DIR:-work_dirs/demo}

run() {  # name config
    local name=$1 cfg=$2 dir=$OUT/$1
    echo "[demo] training $name ($cfg)"
    "$PY" tools/train.py "$cfg" --work-dir "$dir" --resume
    local ckpt
    ckpt=$(cat "$dir/last_checkpoint")
    for split in test_id test_ood; do
        echo "[demo] testing $name on $split"
        "$PY" tools/test.py "$cfg" "$ckpt" --work-dir "$dir" \
            --out "$dir/$split.json" --out-item metrics --overwrite \
            --cfg-options test_dataloader.dataset.split=$split
    done
}

run topgap configs/topgap/resnet18_fashionbg_k16.py
run standard configs/standard/resnet18_fashionbg.py

"$PY" - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
print('\nTop-1 accuracy (%) on the embedded benchmark')
print(f"{'model':<10} {'test_id':>8} {'test_ood':>9}")
for name in ('topgap', 'standard'):
    acc = [json.load(open(f'{out}/{name}/{s}.json'))['accuracy/top1']
           for s in ('test_id', 'test_ood')]
    print(f'{name:<10} {acc[0]:>8.2f} {acc[1]:>9.2f}')
PY
