"""Write a CAM overlay per test image (``tools/test.py --show-dir``)."""
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpretrain.registry import HOOKS
from mmpretrain.structures import DataSample
from ...cam import compute_cams, resolve_method
from ...visualization import inputs_to_images, save_cam_overlay


@HOOKS.register_module()
class CAMVisualizationHook(Hook):
    """Save the CAM of the predicted class of test images as PNGs.

    After every test iteration the CAMs of the batch are recomputed with
    :func:`~topgap_mm.cam.compute_cams` on the preprocessed inputs (the
    test loop keeps only predictions), for the class in ``pred_label``, and
    each selected image is written as ``{out_dir}/{name}.png`` with ground
    truth, prediction and its score in the title. ``name`` is the image
    file's stem when the sample has an ``img_path``, else its
    ``sample_idx`` in the dataset.

    Args:
        out_dir (str): Folder of the PNGs; created when missing.
        interval (int): Draw the images whose dataset index (or running
            count, when samples carry no ``sample_idx``) is a multiple of
            this. Defaults to 1 (every image).
        method (str): CAM method, a key of
            :data:`~topgap_mm.cam.CAM_METHODS` or ``'auto'`` (native maps
            of Top-GAP models, GradCAM otherwise). Defaults to ``'auto'``.
        method_kwargs (dict, optional): Extra arguments of the method.
        alpha (float): Weight of the CAM colours. Defaults to 0.5.
    """

    def __init__(self,
                 out_dir: str,
                 interval: int = 1,
                 method: str = 'auto',
                 method_kwargs: Optional[dict] = None,
                 alpha: float = 0.5):
        if not out_dir:
            raise ValueError('CAMVisualizationHook needs an `out_dir`.')
        if interval < 1:
            raise ValueError(f'`interval` must be >= 1, got {interval}.')
        # Fail when the runner is built, not after the first test batch.
        resolve_method(None, method)
        self.out_dir = out_dir
        self.interval = interval
        self.method = method
        self.method_kwargs = method_kwargs or {}
        self.alpha = alpha
        self._classes = None
        self._count = 0

    def before_test(self, runner) -> None:
        dataset = getattr(runner.test_loop.dataloader, 'dataset', None)
        self._classes = getattr(dataset, 'metainfo', {}).get('classes')
        self._count = 0

    def _class_name(self, index: int) -> str:
        if self._classes is not None and index < len(self._classes):
            return str(self._classes[index])
        return str(index)

    def _title(self, sample: DataSample, pred: int) -> str:
        gt = (self._class_name(int(sample.gt_label[0]))
              if 'gt_label' in sample else '?')
        score = (f' ({float(sample.pred_score[pred]):.2f})'
                 if 'pred_score' in sample else '')
        return f'gt: {gt} | pred: {self._class_name(pred)}{score}'

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: dict,
                        outputs: Optional[Sequence[DataSample]] = None
                        ) -> None:
        """Draw the selected images of the batch."""
        ids = [
            int(s.get('sample_idx', self._count + i))
            for i, s in enumerate(outputs)
        ]
        self._count += len(outputs)
        keep = [i for i, idx in enumerate(ids) if idx % self.interval == 0]
        if not keep:
            return
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        inputs = model.data_preprocessor(data_batch, False)['inputs'][keep]
        preds = torch.cat([outputs[i].pred_label[:1] for i in keep])
        cams = compute_cams(
            model, inputs, self.method, target=preds, **self.method_kwargs)
        images = inputs_to_images(inputs, model.data_preprocessor)
        for i, image, cam, pred in zip(keep, images, cams, preds.tolist()):
            sample = outputs[i]
            name = (osp.splitext(osp.basename(sample.img_path))[0]
                    if 'img_path' in sample else str(ids[i]))
            save_cam_overlay(
                image,
                cam,
                osp.join(self.out_dir, f'{name}.png'),
                title=self._title(sample, pred),
                alpha=self.alpha)
