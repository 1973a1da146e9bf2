"""Writing a file all or nothing: model files, exported models."""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Callable
from typing import BinaryIO


def write_atomically(path, write: Callable[[BinaryIO], object]) -> str:
    """Write ``path`` by calling ``write(fh)`` on a temporary file in the same directory,
    flushed to disk and renamed over ``path``, so a reader never sees a half-written file
    and a failure leaves any old file intact.

    A new file gets the usual permissions (umask); a replaced one keeps its mode.

    Returns
    -------
    str
        The path written.

    Raises
    ------
    ValueError
        When ``path`` is empty or names a directory.
    FileNotFoundError
        When its directory does not exist.
    PermissionError
        When ``path`` exists and is read-only, or the directory cannot be written.
    """
    path = os.fspath(path)
    if not path or os.path.isdir(path):
        raise ValueError(f"path must name a file, got {path!r}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"cannot write {path!r}: the directory "
                                f"{directory!r} does not exist")
    mode = None
    if os.path.exists(path):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if not mode & stat.S_IWUSR:  # by mode, not os.access: root may write anything
            raise PermissionError(errno.EACCES, f"{path!r} is read-only (mode {mode:o}); "
                                  "not replaced")
    # not tempfile.mkstemp: its files are private (mode 0600), and the rename would keep
    # that; created like any new file, the file gets the usual permissions (umask), or
    # those of the file it replaces
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as error:
        raise type(error)(error.errno, f"cannot write {path!r}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as error:
        os.unlink(tmp)
        if isinstance(error, OSError) and error.strerror:
            raise type(error)(error.errno, f"cannot write {path!r}: {error.strerror}") from None
        raise
    return path
