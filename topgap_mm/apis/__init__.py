"""Helpers of the analysis tools: load a trained classifier and its data."""
from .checkpoint import (CheckpointMismatchError, check_checkpoint,
                         check_checkpoint_file)
from .distributed import (choose_backend, finish_distributed,
                          global_batch_message, prepare_distributed)
from .loading import (build_classifier, build_test_dataset, check_file,
                      collect_samples, iter_batches, load_classifier,
                      load_config, num_to_take)

__all__ = [
    'CheckpointMismatchError', 'check_checkpoint', 'check_checkpoint_file',
    'build_classifier', 'build_test_dataset', 'check_file', 'choose_backend',
    'collect_samples', 'finish_distributed', 'global_batch_message',
    'iter_batches', 'load_classifier', 'load_config', 'num_to_take',
    'prepare_distributed'
]
