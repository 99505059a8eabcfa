"""Build the COCO single-object classification subset of the Top-GAP paper.

Appendix A of the paper: COCO turned into a classification dataset by
keeping the images with exactly one object, then the classes with at least
20 such images (53 classes in the paper). This reads the official
``annotations/instances_<split>.json`` files and writes, once:

- ``annotations/single_object_<split>.json``: the class list and one entry
  per kept image (image file, mask file, label, and the object's box
  ``bbox``, COCO's ``[x, y, width, height]`` in pixels), read by the
  ``COCOSingleObject`` dataset;
- ``single_object_masks/<split>/<image id>.png``: the object's mask as
  pycocotools' ``COCO.annToMask`` decodes it (polygons with every part,
  uncompressed or compressed RLE), 1 object / 0 background.

"Exactly one object" counts every annotation of the image, crowd regions
included, and the one annotation must not be a crowd region (a crowd is
several objects). The class filter counts the kept images of all the
splits given together, so every split shares one class list; the paper does
not say over which images it counted. Usage::

    python tools/dataset_converters/coco_single_object.py data/coco \
        --splits train2017 val2017
"""
import argparse
import json
import os
import os.path as osp
from collections import Counter, defaultdict
from typing import Dict, List, Sequence

import cv2
from pycocotools.coco import COCO

def single_object_images(coco: dict) -> List[dict]:
    """The images of one instances file that hold exactly one object.

    Args:
        coco (dict): A loaded ``instances_<split>.json`` (``COCO.dataset``).

    Returns:
        list[dict]: ``image`` (the image entry) and ``ann`` (its only
        annotation), ordered by image id.
    """
    anns = defaultdict(list)
    for ann in coco['annotations']:
        anns[ann['image_id']].append(ann)
    kept = []
    for image in sorted(coco['images'], key=lambda im: im['id']):
        objects = anns.get(image['id'], [])
        if len(objects) == 1 and not objects[0].get('iscrowd', 0):
            kept.append(dict(image=image, ann=objects[0]))
    return kept


def convert(data_root: str, splits: Sequence[str],
            min_samples: int = 20) -> Dict[str, int]:
    """Write the subset's annotation files and masks.

    Args:
        data_root (str): The COCO folder holding ``annotations/`` and the
            image folders (``train2017/``, ...).
        splits (Sequence[str]): Splits to convert, e.g. ``['train2017']``.
        min_samples (int): Fewest kept images of a class. Defaults to 20.

    Returns:
        dict: Number of kept images per split, and the number of classes
        under ``'classes'``.
    """
    sources, kept = {}, {}
    for split in splits:
        path = osp.join(data_root, 'annotations', f'instances_{split}.json')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path!r} not found. It is provided by the COCO archive '
                f'"annotations_trainval2017.zip" (unpacked to '
                f'`{data_root}/annotations/`).')
        sources[split] = COCO(path)
        kept[split] = single_object_images(sources[split].dataset)
    counts = Counter(s['ann']['category_id'] for split in splits
                     for s in kept[split])
    categories = {
        c['id']: c['name']
        for split in splits for c in sources[split].dataset['categories']
    }
    cat_ids = sorted(c for c, n in counts.items() if n >= min_samples)
    label_of = {c: i for i, c in enumerate(cat_ids)}

    written = {}
    for split in splits:
        mask_dir = osp.join(data_root, 'single_object_masks', split)
        os.makedirs(mask_dir, exist_ok=True)
        samples = []
        for item in kept[split]:
            image, ann = item['image'], item['ann']
            if ann['category_id'] not in label_of:
                continue
            mask_rel = osp.join('single_object_masks', split,
                                f'{image["id"]:012d}.png')
            # The reference every COCO user trusts: no rasteriser of ours.
            mask = sources[split].annToMask(ann)
            cv2.imwrite(osp.join(data_root, mask_rel), mask)
            samples.append(
                dict(
                    img=osp.join(split, image['file_name']),
                    mask=mask_rel,
                    label=label_of[ann['category_id']],
                    bbox=[float(v) for v in ann['bbox']],
                    image_id=image['id'],
                    category_id=ann['category_id']))
        out = dict(
            classes=[categories[c] for c in cat_ids],
            category_ids=cat_ids,
            min_samples=min_samples,
            source=f'instances_{split}.json',
            samples=samples)
        with open(
                osp.join(data_root, 'annotations',
                         f'single_object_{split}.json'), 'w') as f:
            json.dump(out, f)
        written[split] = len(samples)
    written['classes'] = len(cat_ids)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='COCO folder with annotations/')
    parser.add_argument(
        '--splits', nargs='+', default=['train2017', 'val2017'])
    parser.add_argument('--min-samples', type=int, default=20)
    args = parser.parse_args(argv)
    written = convert(args.data_root, args.splits, args.min_samples)
    print(f'{written.pop("classes")} classes with at least '
          f'{args.min_samples} single-object images')
    for split, num in written.items():
        print(f'{split}: {num} images')


if __name__ == '__main__':
    main()
