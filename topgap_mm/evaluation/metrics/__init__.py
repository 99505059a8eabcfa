from .model_metric import ModelMetric

__all__ = ['ModelMetric']
