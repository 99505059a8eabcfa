"""Helpers of the analysis tools: load a trained classifier and its data,
measure object sizes and suggest Top-GAP's k."""
from .loading import (build_classifier, build_test_dataset, collect_samples,
                      iter_batches, load_classifier, load_config, num_to_take)
from .object_sizes import measure_objects, suggest_k

__all__ = [
    'build_classifier', 'build_test_dataset', 'collect_samples',
    'iter_batches', 'load_classifier', 'load_config', 'measure_objects',
    'num_to_take', 'suggest_k'
]
