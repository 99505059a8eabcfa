#!/usr/bin/env bash
# One run of the stability measurement: train, then test with the CAM-IoU
# threshold chosen on val.
#
#   bash benchmarks/stability/run.sh REGIME VARIANT SEED
#
# REGIME: loc (background independent of the class) or short (the shortcut)
# VARIANT: after (the shipped config), before, warmup, twin
# Results go to ${OUT:-work_dirs/stability}/REGIME/VARIANT/seedS; runs use one
# thread each, so two can share a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
regime=$1 variant=$2 seed=$3
PY=${VENV:-.venv}/bin/python
case $variant in
  after)  cfg=configs/topgap/resnet18_fashionbg_k16.py ;;
  before) cfg=benchmarks/stability/before_topgap.py ;;
  warmup) cfg=benchmarks/stability/warmup_topgap.py ;;
  twin)   cfg=configs/standard/resnet18_fashionbg.py ;;
  *) echo "unknown variant $variant" >&2; exit 2 ;;
esac
opts=(randomness.seed=$seed)
case $regime in
  loc) opts+=(train_dataloader.dataset.correlation=0.25
              val_dataloader.dataset.correlation=0.25
              test_dataloader.dataset.correlation=0.25) ;;
  short) ;;
  *) echo "unknown regime $regime" >&2; exit 2 ;;
esac
dir=${OUT:-work_dirs/stability}/$regime/$variant/seed$seed
mkdir -p "$dir"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
if [ ! -f "$dir/done_train" ]; then
  "$PY" tools/train.py $cfg --work-dir "$dir" --resume --cfg-options "${opts[@]}" > "$dir/train.out" 2>&1
  touch "$dir/done_train"
fi
ckpt=$(cat "$dir/last_checkpoint")
ev=$dir/eval_cfg.py
cat > "$ev" <<PYCFG
_base_ = ['$(readlink -f $cfg)']
test_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='CAMIoU', method='auto', max_samples=1000),
    dict(type='CAMSparsity', method='auto', target='gt', max_samples=1000),
]
PYCFG
"$PY" tools/test.py "$ev" "$ckpt" --work-dir "$dir" --out "$dir/val.json" --out-item metrics --overwrite \
  --cfg-options "${opts[@]}" test_dataloader.dataset.split=val test_evaluator.1.save_curve="$dir/curve_val.json" > "$dir/test_val.out" 2>&1
for split in test_id test_ood; do
  "$PY" tools/test.py "$ev" "$ckpt" --work-dir "$dir" --out "$dir/$split.json" --out-item metrics --overwrite \
    --cfg-options "${opts[@]}" test_dataloader.dataset.split=$split test_evaluator.1.threshold_from="$dir/curve_val.json" > "$dir/test_$split.out" 2>&1
done
echo "done $regime $variant $seed"
