"""What the command-line tools share: distributed set-up, strict
checkpoint checks and Markdown tables."""
from .checkpoint import (CheckpointMismatchError, check_checkpoint,
                         check_checkpoint_file)
from .distributed import (choose_backend, finish_distributed,
                          global_batch_message, prepare_distributed)
from .markdown import markdown_table

__all__ = [
    'CheckpointMismatchError', 'check_checkpoint', 'check_checkpoint_file',
    'choose_backend', 'finish_distributed', 'global_batch_message',
    'markdown_table', 'prepare_distributed'
]
