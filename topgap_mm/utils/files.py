"""The check that a file or folder a tool or dataset needs exists."""
from typing import Optional

from mmengine import fileio


def check_exists(path: str,
                 provided_by: Optional[str] = None,
                 what: str = 'File',
                 backend_args: Optional[dict] = None) -> str:
    """Raise a :class:`FileNotFoundError` that says what ``path`` is and,
    when known, where it comes from.

    The path is looked up through MMEngine's file backends, so a dataset
    on other storage (``backend_args``) is checked where it is read from.

    Args:
        path (str): The file or folder that must exist.
        provided_by (str, optional): The archive or command that provides
            it, named in the message. Defaults to None.
        what (str): What the path is, for the message. Defaults to 'File'.
        backend_args (dict, optional): Arguments of the file backend.

    Returns:
        str: ``path``, unchanged.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
    """
    if not fileio.exists(path, backend_args=backend_args):
        source = f' It is provided by {provided_by}.' if provided_by else ''
        raise FileNotFoundError(f'{what} not found: {path!r}.{source}')
    return path
