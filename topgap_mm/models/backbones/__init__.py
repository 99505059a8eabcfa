from .preact_resnet import PreActBlock, PreActResNet

__all__ = ['PreActBlock', 'PreActResNet']
