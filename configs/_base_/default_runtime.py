# Runtime of MMPretrain (hooks, logging, visualiser, default_scope
# 'mmpretrain'), plus the import that registers topgap_mm's models
# (PreActResNet, TopGAPFPN, TopGAPClsHead, CAML1Loss) before any build.
_base_ = ['mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['topgap_mm'], allow_failed_imports=False)

# AttachModelHook hands the model to metrics that re-run it (CAM IoU, ERF,
# attacks; see topgap_mm.evaluation.ModelMetric); CAMCollapseHook warns when
# a Top-GAP CAM collapses to zero in training. Both do nothing for models and
# metrics they do not concern. ClassCountCheckHook stops a run whose head or
# data preprocessor has another `num_classes` than the dataset's classes.
custom_hooks = [
    dict(type='AttachModelHook'),
    dict(type='CAMCollapseHook'),
    dict(type='ClassCountCheckHook'),
]
