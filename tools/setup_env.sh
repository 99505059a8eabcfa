#!/usr/bin/env bash
# Create (or update) the virtual environment .venv with topgap_mm installed
# in editable mode. Idempotent: a second run only checks what is there, and
# skips pip while setup.py, this script and MMCV are those of the last
# successful set-up (recorded in $VENV/.setup_stamp).
#
#   bash tools/setup_env.sh           # mmcv-lite (no compiled ops; default)
#   MMCV=full bash tools/setup_env.sh # a compiled mmcv you can install
#
# torchattacks is installed with --no-deps: its wheel pins requests~=2.25.1,
# which would downgrade requests, urllib3 and idna of the whole environment.
# Its real needs (torch, torchvision, scipy, tqdm, numpy) come with
# topgap_mm. Its wheel also carries a top-level `robustbench` package that is
# not RobustBench; topgap_mm never imports it.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
MMCV=${MMCV:-lite}
# Pre-install your own CUDA build of torch into $VENV to keep it.
TORCH_SPEC=${TORCH_SPEC:-"torch==2.14.1 torchvision==0.29.1"}

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating $VENV with $($PYTHON --version)"
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip)

STAMP=$VENV/.setup_stamp
want="$(cat setup.py tools/setup_env.sh | sha256sum | cut -d' ' -f1) $MMCV"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    echo "[setup] $VENV is as the last set-up left it (delete $STAMP to" \
         "reinstall)"
else
    if ! "$VENV/bin/python" -c "import torch, torchvision" 2>/dev/null; then
        echo "[setup] installing $TORCH_SPEC"
        # shellcheck disable=SC2086
        "${PIP[@]}" install -q $TORCH_SPEC
    fi
    echo "[setup] installing topgap_mm[$MMCV,tests,autoattack]"
    "${PIP[@]}" install -q -e ".[$MMCV,tests,autoattack]"
    "${PIP[@]}" install -q --no-deps "torchattacks==3.5.1"
    # foolbox only for the 20 labelled ImageNet images it ships (the
    # known-answer test of the pretrained EfficientNet-Lite0); its own
    # imports are never used.
    "${PIP[@]}" install -q --no-deps "foolbox==3.3.4"
fi
"$VENV/bin/python" tools/model_converters/efficientnet_lite0_to_timm.py

"$VENV/bin/python" - <<'PY'
import warnings
warnings.filterwarnings('ignore')
import torch, mmengine, mmcv, mmpretrain, torchattacks, topgap_mm
# pycocotools beside a recent transformers once broke mmpretrain.models.
import mmpretrain.models, pycocotools, pyautoattack
print(f'[setup] ok: torch {torch.__version__}, mmengine {mmengine.__version__}, '
      f'mmcv {mmcv.__version__}, mmpretrain {mmpretrain.__version__}, '
      f'torchattacks {torchattacks.__version__}, topgap_mm {topgap_mm.__version__}')
PY
echo "$want" > "$STAMP"
