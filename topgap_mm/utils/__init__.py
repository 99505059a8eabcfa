"""What the package and its tools share: distributed set-up, strict
checkpoint checks, the check that a file exists and Markdown tables."""
from .checkpoint import (CheckpointMismatchError, check_checkpoint,
                         check_checkpoint_file)
from .distributed import (choose_backend, finish_distributed,
                          global_batch_message, prepare_distributed)
from .files import check_exists
from .markdown import markdown_table

__all__ = [
    'CheckpointMismatchError', 'check_checkpoint', 'check_checkpoint_file',
    'check_exists', 'choose_backend', 'finish_distributed',
    'global_batch_message', 'markdown_table', 'prepare_distributed'
]
