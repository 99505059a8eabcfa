# The main job with its schedule stretched from 12 to 18 epochs (one of
# warm-up, then cosine annealing to 0 at 18): does a longer schedule change
# the answer? Everything else, seeds and metrics included, is the main
# job's (`embedded_demo.py`), so its report reads beside the main job's
# row by row.
#
#   python tools/study.py configs/studies/embedded_demo_stretched.py --jobs 2
#
# 6 trainings of 18 epochs; on 2 CPU cores about 1.5 times the main job.
_base_ = ['./embedded_demo.py']

_epochs = 18
study = dict(
    # In float32, as docs/en/results/main_job_stretched.md measured it:
    # `_delete_` drops the bfloat16 autocast of embedded.py.
    cfg_options={
        '_delete_': True,
        'train_cfg.max_epochs': _epochs,
        'param_scheduler.1.T_max': _epochs - 1,
        'param_scheduler.1.end': _epochs,
    })
