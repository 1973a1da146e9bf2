"""Writing an exported model: all or nothing."""

from __future__ import annotations

import errno
import os
import secrets
import stat


def write_atomically(data: bytes, path) -> str:
    """Write ``data`` to ``path`` through a temporary file in the same directory renamed over
    it, so a reader never sees a half-written file and a failure leaves any old file intact.

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
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as error:
        raise type(error)(error.errno, f"cannot write {path!r}: {error.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
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
