"""Hands the model to the metrics that need it, before each val/test loop."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpretrain.registry import HOOKS
from ...evaluation.metrics.model_metric import ModelMetric


@HOOKS.register_module()
class AttachModelHook(Hook):
    """Give every :class:`ModelMetric` of the evaluators the model.

    The model is unwrapped from DDP/FSDP wrappers, so metrics can run its
    forward and backward passes on their own inputs without triggering the
    wrapper's gradient synchronisation.
    """

    priority = 'LOW'

    def _attach(self, runner, evaluator) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        for metric in evaluator.metrics:
            if isinstance(metric, ModelMetric):
                metric.attach_model(model)

    def before_val(self, runner) -> None:
        self._attach(runner, runner.val_evaluator)

    def before_test(self, runner) -> None:
        self._attach(runner, runner.test_evaluator)
