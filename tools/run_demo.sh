#!/usr/bin/env bash
# The main job on the embedded benchmark: set up, then run its two studies,
# each Top-GAP against its standard twin over 3 seeds in both regimes of the
# benchmark (background independent of the class; background shortcut with
# an OOD test split), k and the CAM-IoU threshold chosen on the held-out
# val split:
#
#   scratch     configs/studies/embedded.py: ResNet-18 from scratch
#   pretrained  configs/studies/embedded_pretrained.py: ImageNet-pretrained
#               EfficientNet-Lite0 fine-tuned, the paper's protocol
#
#   bash tools/run_demo.sh               # both, one after the other
#   bash tools/run_demo.sh scratch       # one of them
#
# Each ends with its report's tables (mean [95% CI] over seeds, the paired
# difference, the baselines), kept in work_dirs/demo*/report.md. The scratch
# study's seed-0 pair (background-independent regime) then gets the
# gradient-masking audit with the original AutoAttack beside its own
# attacks, on 100 test images: work_dirs/demo/audit/{topgap,twin}/audit.md.
# Re-running continues unfinished runs and reuses finished ones.
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-all}
case $which in
    all | scratch | pretrained) ;;
    *) echo "run_demo.sh: unknown study '$which'; use scratch, pretrained or all" >&2
       exit 2 ;;
esac

bash tools/setup_env.sh
PY=${VENV:-.venv}/bin/python
OUT=${WORK_DIR:-work_dirs/demo}
if [ "$which" != pretrained ]; then
    "$PY" tools/study.py configs/studies/embedded.py --work-dir "$OUT"
    runs=$OUT/localisation/resnet18_scratch
    checkpoint() {
        "$PY" -c "import json, os.path as p, sys; d = sys.argv[1]; \
print(p.join(d, json.load(open(p.join(d, 'train_done.json')))['checkpoint']))" "$1"
    }
    audit=(--num-samples 100 --pgd-steps 20 --restarts 1
           --square-queries 1000 --autoattack --no-progress)
    for model in topgap twin; do
        out=$OUT/audit/$model
        if [ -f "$out/audit.json" ]; then
            echo "[demo] audit of the $model exists: $out/audit.md"
            continue
        fi
        twin_args=()
        if [ $model = topgap ]; then
            twin_args=(--twin-config "$runs/twin/seed0/eval_test_id.py"
                       --twin-checkpoint "$(checkpoint "$runs/twin/seed0")")
        fi
        "$PY" tools/analysis_tools/robustness_audit.py \
            "$runs/$model/seed0/eval_test_id.py" \
            "$(checkpoint "$runs/$model/seed0")" "${twin_args[@]}" \
            "${audit[@]}" --out-dir "$out"
    done
fi
if [ "$which" != scratch ]; then
    "$PY" tools/study.py configs/studies/embedded_pretrained.py \
        --work-dir "${OUT}_pretrained"
fi
