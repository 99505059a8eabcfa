# Standard ResNet-18 (GAP + linear) on Oxford-IIIT Pet at 224x224: the twin
# of configs/topgap/resnet18_pets_k256.py. The fine-tuning schedule of CUB
# (batch 32) serves both fine-grained sets.
_base_ = [
    '../_base_/models/resnet18_cub.py',
    '../_base_/datasets/oxford_pets_bs32_224.py',
    '../_base_/schedules/cub_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=37))
