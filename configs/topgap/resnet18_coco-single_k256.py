# Top-GAP ResNet-18 on the COCO single-object subset (53 classes in the
# paper) at 224x224, k=256. Standard twin:
# configs/standard/resnet18_coco-single.py.
_base_ = [
    '../_base_/models/topgap_resnet18.py',
    '../_base_/datasets/coco_single_bs32_224.py',
    '../_base_/schedules/cub_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes={{_base_.num_classes}}, k=256))
