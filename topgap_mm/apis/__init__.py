"""Helpers of the analysis tools: load a trained classifier and its data."""
from .checkpoint import CheckpointMismatchError, check_checkpoint
from .loading import (build_classifier, build_test_dataset, check_file,
                      collect_samples, iter_batches, load_classifier,
                      load_config, num_to_take)

__all__ = [
    'CheckpointMismatchError', 'check_checkpoint', 'build_classifier', 'build_test_dataset', 'check_file', 'collect_samples',
    'iter_batches', 'load_classifier', 'load_config', 'num_to_take'
]
