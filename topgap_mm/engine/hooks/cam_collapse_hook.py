"""A training-log warning when the Top-GAP CAM collapses to zero."""
import math
from collections import deque
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpretrain.registry import HOOKS

DATA_BATCH = Optional[dict]


@HOOKS.register_module()
class CAMCollapseHook(Hook):
    """Warn when the classification loss sits at chance while the CAM is
    small.

    That is the signature of the L1 term winning against the cross-entropy
    early in training (see :class:`TopGAPClsHead`, "Training from
    scratch"): a map that is small and alike for every class gives every
    class about the same score, so ``loss_cls`` stays at
    ``ln(num_classes)``, and training can stall there for epochs. The hook
    reads the logged ``loss_cls`` and ``loss_l1`` of each iteration and the
    L1 module's current ``loss_weight`` (the unweighted mean ``|CAM|`` is
    ``loss_l1 / loss_weight``), averaged over the last ``patience``
    iterations, since one batch's loss is noisy; iterations with a zero
    weight are not counted. It warns once per episode and logs when
    training leaves it. Models without a Top-GAP L1 term are left alone.

    Args:
        patience (int): Iterations averaged; the warning comes when their
            means are collapsed. Defaults to 200 (about 3 epochs of the
            embedded benchmark; a healthy run there leaves chance within
            its first 100 iterations).
        chance_tol (float): ``loss_cls`` counts as chance when its mean lies
            within this fraction of ``ln(num_classes)``. Defaults to 0.05.
        cam_threshold (float): Mean ``|CAM|`` below which the map counts as
            collapsed. Defaults to 0.5: stalled runs of the embedded
            benchmark sat at 0.03-0.3, against 0.25-0.31 at initialisation
            and 1-20 in the first epoch of a healthy run.
        module (str): Dotted path of the L1 loss inside the model. Defaults
            to ``'head.l1_loss_module'``.
    """

    priority = 'LOW'

    def __init__(self,
                 patience: int = 200,
                 chance_tol: float = 0.05,
                 cam_threshold: float = 0.5,
                 module: str = 'head.l1_loss_module'):
        if not isinstance(patience, int) or patience < 1:
            raise ValueError(
                f'`patience` must be an int >= 1, got {patience!r}.')
        if not chance_tol > 0:
            raise ValueError(f'`chance_tol` must be > 0, got {chance_tol!r}.')
        if not cam_threshold > 0:
            raise ValueError(
                f'`cam_threshold` must be > 0, got {cam_threshold!r}.')
        self.patience = patience
        self.chance_tol = chance_tol
        self.cam_threshold = cam_threshold
        self.module = module
        self._l1 = None
        self._chance = None
        self._cls = deque(maxlen=patience)
        self._cam = deque(maxlen=patience)
        self._warned = False

    def before_train(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        try:
            obj = model.get_submodule(self.module)
        except AttributeError:
            obj = None
        num_classes = getattr(getattr(model, 'head', None), 'num_classes',
                              None)
        if obj is None or not hasattr(obj, 'loss_weight') or not num_classes:
            return
        self._l1 = obj
        self._chance = math.log(num_classes)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if (self._l1 is None or not outputs or 'loss_cls' not in outputs
                or 'loss_l1' not in outputs):
            return
        weight = float(self._l1.loss_weight)
        if weight <= 0:
            return
        self._cls.append(_scalar(outputs['loss_cls']))
        self._cam.append(_scalar(outputs['loss_l1']) / weight)
        if len(self._cls) < self.patience:
            return
        loss_cls = sum(self._cls) / len(self._cls)
        mean_abs_cam = sum(self._cam) / len(self._cam)
        collapsed = (abs(loss_cls - self._chance) <= self.chance_tol *
                     self._chance and mean_abs_cam < self.cam_threshold)
        if not collapsed:
            if self._warned:
                runner.logger.info(
                    f'CAMCollapseHook: training left the collapse at '
                    f'iteration {runner.iter + 1} (mean loss_cls '
                    f'{loss_cls:.3f}).')
            self._warned = False
            return
        if not self._warned:
            self._warned = True
            runner.logger.warning(
                f'CAM collapse: over the last {self.patience} iterations '
                f'`loss_cls` has stayed at chance (ln '
                f'{round(math.exp(self._chance))} = {self._chance:.3f}, mean '
                f'{loss_cls:.3f}) while the mean |CAM| is {mean_abs_cam:.4f} '
                f'(< {self.cam_threshold}). The L1 term has likely crushed '
                'the map before the classifier learned, often after the head '
                'took too large steps. Lower the learning rate of the head: '
                "optim_wrapper.paramwise_cfg.custom_keys={'head.conv_cam': "
                "dict(lr_mult=0.1)}, as configs/topgap/"
                'resnet18_fashionbg_k16.py does (an L1 warm-up did not '
                'prevent the collapse there; see docs/en/advanced_guides/'
                'training_from_scratch.md). '
                'Lowering `model.head.l1_loss.loss_weight` (now '
                f'{weight:g}) also weakens the size prior.')


def _scalar(value) -> float:
    """A logged loss (a tensor or a number) as a float."""
    return float(value.detach()) if hasattr(value, 'detach') else float(value)
