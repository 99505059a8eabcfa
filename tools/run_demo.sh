#!/usr/bin/env bash
# The main job on the embedded benchmark: set up, then run the embedded
# study (configs/studies/embedded.py): Top-GAP ResNet-18 and its standard
# twin, 3 seeds each, in both regimes of the benchmark (background
# independent of the class; background shortcut with an OOD test split),
# with k and the CAM-IoU threshold chosen on the held-out val split. It
# ends with the report's tables: every metric as mean [95% CI] over seeds,
# the paired difference, and the baselines. Re-running continues
# unfinished runs and reuses finished ones.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup_env.sh
PY=${VENV:-.venv}/bin/python
exec "$PY" tools/study.py configs/studies/embedded.py \
    --work-dir "${WORK_DIR:-work_dirs/demo}" "$@"
