"""A linear warm-up of a loss weight, such as the Top-GAP L1 term."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpretrain.registry import HOOKS

DATA_BATCH = Optional[dict]


@HOOKS.register_module()
class LossWeightWarmupHook(Hook):
    """Ramp the ``loss_weight`` of a loss module linearly at the start of
    training.

    A remedy to try when the L1 term of Top-GAP (:class:`CAML1Loss`)
    crushes the CAM early in training (:class:`CAMCollapseHook` warns of
    it): starting the weight at ``start_factor`` times its configured value
    and raising it linearly lets the classification term shape the map
    first; after the warm-up the loss is the paper's. On the embedded
    benchmark it did not cure the collapse on its own, since the cause there
    was the head's step size (see :class:`TopGAPClsHead`, "Training from
    scratch"); it stays available for data where the L1 term is the cause.

    The weight depends only on the iteration, so a resumed run continues the
    same ramp. It is logged as ``train/<log_name>`` next to the losses.

    Args:
        module (str): Dotted path of the loss module inside the model.
            Defaults to ``'head.l1_loss_module'``, the L1 term of
            :class:`TopGAPClsHead`.
        warmup_epochs (float, optional): Length of the ramp in epochs,
            converted to iterations with the length of the training
            dataloader. Give this or ``warmup_iters``.
        warmup_iters (int, optional): Length of the ramp in iterations.
        start_factor (float): Weight at iteration 0, as a fraction of the
            configured ``loss_weight``. Defaults to 0.
        log_name (str): Name of the logged weight. Defaults to
            ``'l1_weight'``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 module: str = 'head.l1_loss_module',
                 warmup_epochs: Optional[float] = None,
                 warmup_iters: Optional[int] = None,
                 start_factor: float = 0.0,
                 log_name: str = 'l1_weight'):
        if (warmup_epochs is None) == (warmup_iters is None):
            raise ValueError(
                'LossWeightWarmupHook needs exactly one of `warmup_epochs` '
                f'and `warmup_iters`, got warmup_epochs={warmup_epochs!r}, '
                f'warmup_iters={warmup_iters!r}.')
        length = warmup_epochs if warmup_iters is None else warmup_iters
        if not length > 0:
            raise ValueError(
                'The warm-up length (`warmup_epochs` or `warmup_iters`) '
                f'must be > 0, got {length!r}.')
        if not 0.0 <= start_factor <= 1.0:
            raise ValueError(
                f'`start_factor` must lie in [0, 1], got {start_factor!r}.')
        self.module = module
        self.warmup_epochs = warmup_epochs
        self.warmup_iters = warmup_iters
        self.start_factor = start_factor
        self.log_name = log_name
        self._loss = None
        self._base_weight = None
        self._total_iters = None

    def _find_loss(self, runner):
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        try:
            obj = model.get_submodule(self.module)
        except AttributeError as error:
            raise AttributeError(
                f'LossWeightWarmupHook: the model has no `{self.module}` '
                f'({error}); set `module` to the dotted path of a loss with a '
                '`loss_weight`, e.g. "head.l1_loss_module".') from None
        if not hasattr(obj, 'loss_weight'):
            raise AttributeError(
                f'LossWeightWarmupHook: `{self.module}` '
                f'({type(obj).__name__}) has no `loss_weight` to warm up.')
        return obj

    def weight_at(self, cur_iter: int) -> float:
        """The loss weight used at training iteration ``cur_iter``."""
        progress = min(1.0, cur_iter / self._total_iters)
        factor = self.start_factor + (1.0 - self.start_factor) * progress
        return self._base_weight * factor

    def before_train(self, runner) -> None:
        self._loss = self._find_loss(runner)
        self._base_weight = float(self._loss.loss_weight)
        if self.warmup_iters is not None:
            self._total_iters = int(self.warmup_iters)
        else:
            self._total_iters = max(
                1, round(self.warmup_epochs * len(runner.train_dataloader)))
        runner.logger.info(
            f'LossWeightWarmupHook: `{self.module}.loss_weight` ramps from '
            f'{self._base_weight * self.start_factor:g} to '
            f'{self._base_weight:g} over {self._total_iters} iterations.')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        weight = self.weight_at(runner.iter)
        self._loss.loss_weight = weight
        runner.message_hub.update_scalar(f'train/{self.log_name}', weight)

    def after_train(self, runner) -> None:
        # The module leaves training with the weight it was configured with.
        self._loss.loss_weight = self._base_weight
