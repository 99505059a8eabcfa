"""Draw a grid of CAMs of test images: a model, its methods, and its twin.

Rows are images from the config's test dataset; columns are the input, the
object mask (when the dataset has one) and one overlay per (model, method),
e.g. the native maps of a Top-GAP model next to GradCAM and Recipro-CAM of
its standard twin (paper Figs. 1 and 5)::

    python tools/visualization/vis_cam.py \\
        configs/topgap/resnet18_fashionbg_k16.py topgap.pth \\
        --twin-config configs/standard/resnet18_fashionbg.py \\
        --twin-checkpoint standard.pth --indices 0 1 2 3 --out fig.png

Images come from the first config's test dataset; each model preprocesses
them with its own data preprocessor. This replaces MMPretrain's
``tools/visualization/vis_cam.py``, which does not run on this stack.
"""
import argparse
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import DictAction
from mmengine.dataset import pseudo_collate

# Registers the Top-GAP modules and lets torch >= 2.6 load MMEngine
# checkpoints (see topgap_mm.compat) before any config is read.
import topgap_mm  # noqa: F401,E402
from topgap_mm.analysis import build_test_dataset, load_classifier
from topgap_mm.cam import CAM_METHODS, compute_cams, resolve_method
from topgap_mm.evaluation.ground_truth import MASK_FIELD, sample_field
from topgap_mm.visualization import inputs_to_images, save_cam_grid

METHOD_CHOICES = ['auto', *CAM_METHODS]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Draw CAMs of test images of a model (and a twin).')
    parser.add_argument('config', help='config file of the model')
    parser.add_argument('checkpoint', help='checkpoint of the model')
    parser.add_argument('--twin-config', help='config of a second model')
    parser.add_argument('--twin-checkpoint', help='its checkpoint')
    parser.add_argument(
        '--methods',
        nargs='+',
        default=['auto'],
        choices=METHOD_CHOICES,
        help="CAM methods of the model; 'auto' is the native map of a "
        'Top-GAP model and GradCAM otherwise')
    parser.add_argument(
        '--twin-methods',
        nargs='+',
        default=['gradcam', 'recipro_cam'],
        choices=METHOD_CHOICES,
        help='CAM methods of the twin')
    parser.add_argument(
        '--indices',
        nargs='+',
        type=int,
        default=list(range(6)),
        help='indices of the test images (one row each)')
    parser.add_argument(
        '--split',
        help='shortcut for --cfg-options test_dataloader.dataset.split=...')
    parser.add_argument(
        '--target',
        choices=['gt', 'pred'],
        default='gt',
        help='draw the map of the ground-truth or the predicted class')
    parser.add_argument(
        '--alpha', type=float, default=0.5, help='weight of the CAM colours')
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='device of the models')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides of the model config (and of the test dataset), '
        'key=value')
    parser.add_argument(
        '--twin-cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides of the twin config, key=value')
    parser.add_argument('--out', required=True, help='output PNG file')
    args = parser.parse_args(argv)
    if (args.twin_config is None) != (args.twin_checkpoint is None):
        parser.error('--twin-config and --twin-checkpoint go together.')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if not args.out.lower().endswith('.png'):
        raise ValueError(f'--out must be a .png file, got {args.out!r}.')
    model, cfg = load_classifier(args.config, args.checkpoint,
                                 args.cfg_options, args.device)
    label = osp.splitext(osp.basename(args.config))[0]
    models = [(label, model, args.methods)]
    if args.twin_config is not None:
        twin, _ = load_classifier(
            args.twin_config, args.twin_checkpoint, args.twin_cfg_options,
            args.device)
        twin_label = osp.splitext(osp.basename(args.twin_config))[0]
        models.append((twin_label, twin, args.twin_methods))

    dataset = build_test_dataset(cfg, args.split)
    bad = [i for i in args.indices if not 0 <= i < len(dataset)]
    if bad:
        raise IndexError(f'--indices {bad} out of range for a test dataset '
                         f'of {len(dataset)} images.')
    batch = pseudo_collate([dataset[i] for i in args.indices])
    classes = dataset.metainfo.get('classes')

    def name(index: int) -> str:
        return str(classes[index]) if classes else str(index)

    columns, preds, images, samples = {}, [], None, None
    for label, net, methods in models:
        data = net.data_preprocessor(batch, False)
        inputs, data_samples = data['inputs'], data['data_samples']
        if images is None:
            images = inputs_to_images(inputs, net.data_preprocessor)
            samples = data_samples
        elif tuple(inputs.shape[-2:]) != images[0].shape[:2]:
            raise ValueError(f'{label} sees images of size '
                             f'{tuple(inputs.shape[-2:])}, the first model '
                             f'{images[0].shape[:2]}; use the same input '
                             f'size for both.')
        # GradCAM turns gradients back on for itself.
        with torch.no_grad():
            preds.append(net(inputs, mode='tensor').argmax(dim=1).tolist())
            for method in methods:
                title = f'{label}\n{resolve_method(net, method)}'
                columns[title] = list(
                    compute_cams(net, inputs, method, args.target,
                                 data_samples).cpu().numpy())

    masks = [sample_field(s, MASK_FIELD) for s in samples]
    masks = None if any(m is None for m in masks) else [
        m.numpy() for m in masks
    ]
    row_titles = [
        f'#{index} gt: '
        f"{name(int(s.gt_label[0])) if 'gt_label' in s else '?'}\npred: " +
        ' | '.join(name(p[row]) for p in preds)
        for row, (index, s) in enumerate(zip(args.indices, samples))
    ]
    save_cam_grid(
        images,
        columns,
        args.out,
        masks=masks,
        row_titles=row_titles,
        alpha=args.alpha)
    print(f'Wrote {args.out} ({len(images)} images, {len(columns)} CAM '
          f'columns, {args.target} class).')


if __name__ == '__main__':
    main()
