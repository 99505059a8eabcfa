#!/usr/bin/env bash
# The main job on the embedded benchmark: set up, then answer "does Top-GAP
# beat the same network without it?" from models trained to convergence,
# over 3 seeds, with confidence intervals, paired differences and the
# trivial baselines, k and every map threshold chosen on the held-out val
# split.
#
#   bash tools/run_demo.sh           # the answer: ResNet-18 from scratch,
#                                    # background independent of the class
#                                    # (configs/studies/embedded_demo.py)
#   bash tools/run_demo.sh full      # everything below, one after the other
#   bash tools/run_demo.sh scratch   # both regimes from scratch, then the
#                                    # AutoAttack audit of a seed-0 pair
#                                    # (configs/studies/embedded.py)
#   bash tools/run_demo.sh pretrained  # both regimes in the paper's protocol:
#                                    # EfficientNet-Lite0 fine-tuned
#                                    # (configs/studies/embedded_pretrained.py)
#   bash tools/run_demo.sh peers     # Top-GAP, B-cos and the twin, the main
#                                    # job's regime, in work_dirs/demo_peers
#                                    # (configs/studies/embedded_peers.py)
#
# Each study ends with its report (work_dirs/demo*/report.md, with
# report.json and the validation curves under curves/). Runs go JOBS at a
# time (default 3, one CPU thread each: on 2 cores 3 single-thread
# trainings are about as fast in sum as 2, and the runs of each model,
# 3 seeds, then start and end together, so no core idles while the other
# finishes a last run: the peers study's 3 B-cos runs). Re-running continues
# unfinished runs and reuses finished ones. The studies from scratch share
# the main job's work dir, work_dirs/demo (work_dirs/demo_fp32 in float32,
# below): after the main job, `full` and `scratch` train only what it left
# out, and their report, covering both regimes, takes the place of the main
# job's.
#
#   PRECISION=float32 bash tools/run_demo.sh   # the studies from scratch in
#                                    # float32 (default: auto, bfloat16 where
#                                    # the CPU has bfloat16 instructions)
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-demo}
case $which in
    demo | full | scratch | pretrained | peers) ;;
    *) echo "run_demo.sh: unknown job '$which'; use no argument (the" \
            "main job), full, scratch, pretrained or peers" >&2
       exit 2 ;;
esac

case ${PRECISION:-auto} in
    auto | bfloat16 | float32) ;;
    *) echo "run_demo.sh: PRECISION must be auto, bfloat16 or float32, got" \
            "'$PRECISION'" >&2
       exit 2 ;;
esac

bash tools/setup_env.sh
started=$SECONDS
finished() {
    echo "[demo] $which done in $(( (SECONDS - started) / 60 )) min" \
         "$(( (SECONDS - started) % 60 )) s after the set-up"
}
PY=${VENV:-.venv}/bin/python
OUT=${WORK_DIR:-work_dirs/demo}
STUDY=("$PY" tools/study.py --jobs "${JOBS:-3}")

# The studies from scratch (embedded.py) train in bfloat16 autocast, which
# only a CPU with bfloat16 instructions runs faster than float32 (without
# them much slower: docs/en/advanced_guides/speed.md). On another CPU, one
# whose flags cannot be read, or with PRECISION=float32, they train in
# float32 in a work dir of their own: another answer, with its own tables
# in docs/en/results/main_job.md.
SCRATCH=$OUT
SCRATCH_ARGS=()
if [ "$which" = demo ] || [ "$which" = full ] || [ "$which" = scratch ]; then
    why="PRECISION=${PRECISION:-auto}"
    if [ "${PRECISION:-auto}" = auto ]; then
        PRECISION=$("$PY" -c "from topgap_mm.engine import cpu_has_native_bf16
print('bfloat16' if cpu_has_native_bf16() else 'float32')")
        why="this CPU has no bfloat16 instructions, or they cannot be read"
    fi
    if [ "$PRECISION" = float32 ]; then
        SCRATCH=${OUT}_fp32
        SCRATCH_ARGS=(--cfg-options
                      study.cfg_options.optim_wrapper.type=OptimWrapper)
        echo "[demo] training in float32 ($why) in $SCRATCH; its answer is" \
             "the float32 one of docs/en/results/main_job.md"
    fi
fi

if [ "$which" = demo ]; then
    "${STUDY[@]}" configs/studies/embedded_demo.py --work-dir "$SCRATCH" \
        ${SCRATCH_ARGS[@]+"${SCRATCH_ARGS[@]}"}
    finished
    exit 0
fi
if [ "$which" = full ] || [ "$which" = scratch ]; then
    "${STUDY[@]}" configs/studies/embedded.py --work-dir "$SCRATCH" \
        ${SCRATCH_ARGS[@]+"${SCRATCH_ARGS[@]}"}
    runs=$SCRATCH/localisation/resnet18_scratch
    checkpoint() {
        "$PY" -c "import json, os.path as p, sys; d = sys.argv[1]; \
print(p.join(d, json.load(open(p.join(d, 'train_done.json')))['checkpoint']))" "$1"
    }
    audit=(--num-samples 100 --pgd-steps 20 --restarts 1
           --square-queries 1000 --autoattack --no-progress)
    for model in topgap twin; do
        out=$SCRATCH/audit/$model
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
if [ "$which" = full ] || [ "$which" = pretrained ]; then
    "${STUDY[@]}" configs/studies/embedded_pretrained.py \
        --work-dir "${OUT}_pretrained"
fi
if [ "$which" = full ] || [ "$which" = peers ]; then
    "${STUDY[@]}" configs/studies/embedded_peers.py --work-dir "${OUT}_peers"
fi
finished
