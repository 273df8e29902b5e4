"""Reading an input file: regular files only, never more than a limit.

A FIFO named ``*.yaml`` would block ``open()`` forever and ``/dev/zero``
never ends; both are refused before a byte is read. The file is opened
non-blocking and checked with ``fstat`` on the open descriptor, so what is
checked is what is read."""

from __future__ import annotations

import os
import stat
from typing import BinaryIO


class NotRegular(OSError):
    """The path names a FIFO, device, socket or directory."""

    def __init__(self, path: str, mode: int) -> None:
        super().__init__(f"not a regular file ({_kind(mode)})")
        self.path = path


class TooLarge(OSError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"file is {size:,} bytes; the limit is {limit:,}")
        self.size = size
        self.limit = limit


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a file"


def open_regular(path: str) -> BinaryIO:
    """A binary file object for ``path``; ``NotRegular`` for anything but a
    regular file (without blocking on a FIFO), else ``OSError``."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegular(path, mode)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str, limit: int) -> bytes:
    """At most ``limit`` bytes of a regular file; ``TooLarge`` past it,
    ``NotRegular`` for anything but a regular file, else ``OSError``."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise TooLarge(size, limit)
        raw = fh.read(limit + 1)  # a file that grows while we read it
    if len(raw) > limit:
        raise TooLarge(max(len(raw), size), limit)
    return raw
