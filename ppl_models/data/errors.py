"""The exception raised when a dataset file or folder is not there."""

from __future__ import annotations

__all__ = ["MissingDataError"]


class MissingDataError(FileNotFoundError, ValueError):
    """A dataset file or folder does not exist (or lacks the expected files).

    Both a ``FileNotFoundError``, as Python code expects for a missing file, and a
    ``ValueError``, so that callers of the loaders can treat every bad ``path`` argument, missing
    or malformed, with one ``except ValueError``. The message starts with the path.
    """
