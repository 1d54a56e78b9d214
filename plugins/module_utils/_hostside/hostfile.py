# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Opening the files of a host for reading or replacing: regular files only, with a size bound.

Every file the collection reads on a host is opened here.  A FIFO would block an ``open()`` or a
``read()`` for ever and a device (``/dev/zero``) never ends, so the file is opened non-blocking and
checked with ``fstat`` on the descriptor it got (no window between a check and the open), and only a
regular file is read; a link to a regular file is followed, as Ansible's own file modules do.
``read_bytes(path, limit)`` reads at most LIMIT bytes (the head, or the tail for logs).
``replaceable_target(path)`` is the same rule for a file about to be replaced.

Stdlib only and no collection imports: the on-host debug reverter ships this file beside itself.
"""

from __future__ import annotations

import errno
import io
import os
import stat

# Configuration files the platform writes are a few kilobytes; a megabyte is already absurd.
CONFIG_LIMIT = 4 * 1024 * 1024

_KINDS = (
    (stat.S_ISDIR, 'a directory'),
    (stat.S_ISFIFO, 'a FIFO (named pipe)'),
    (stat.S_ISCHR, 'a character device'),
    (stat.S_ISBLK, 'a block device'),
    (stat.S_ISSOCK, 'a socket'),
)


class HostFileError(OSError):
    """A file refused or unreadable; ``str()`` is the whole message, which names the file."""

    def __init__(self, message, code=errno.EINVAL):
        super(HostFileError, self).__init__(code, message)

    def __str__(self):
        return str(self.strerror)


def kind_of(mode):
    """``'a FIFO (named pipe)'`` for a FIFO's st_mode; ``'a regular file'`` for a regular one."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return 'a regular file' if stat.S_ISREG(mode) else 'not a regular file'


def _refusal(path, mode, what):
    shown = path if not os.path.islink(path) else '%s (a link to %s)' % (path, os.path.realpath(path))
    return HostFileError('%s %s is %s, not a regular file: it is not read or written; replace it with a '
                         'regular file or remove it' % (what, shown, kind_of(mode)))


def open_regular(path, what='file'):
    """A read-only descriptor of PATH, which must be (or link to) a regular file.

    FileNotFoundError passes through untouched (callers tell a missing file apart); anything that
    is not a regular file raises HostFileError naming PATH and what it is.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, 'O_CLOEXEC', 0) | getattr(os, 'O_NOCTTY', 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refusal(path, info.st_mode, what)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_stream(path, what='file'):
    """PATH opened as an unbuffered binary stream (``io.FileIO``), regular files only."""
    return io.FileIO(open_regular(path, what), 'r', closefd=True)


def read_bytes(path, limit=CONFIG_LIMIT, what='file', tail=False):
    """At most LIMIT bytes of PATH: the first ones, or with TAIL the last ones (a log's newest lines).

    Without TAIL a file longer than LIMIT is refused rather than read in part: half a config file
    read as the whole would be wrong.
    """
    fd = open_regular(path, what)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            if not tail:
                raise HostFileError('%s %s is %d bytes, more than the %d this file can sensibly hold: '
                                    'it is not read; look at what wrote it' % (what, path, size, limit))
            os.lseek(fd, size - limit, os.SEEK_SET)
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b''.join(chunks)
    finally:
        os.close(fd)


def read_text(path, limit=CONFIG_LIMIT, what='file', tail=False):
    """:func:`read_bytes` decoded as UTF-8, undecodable bytes replaced."""
    return read_bytes(path, limit, what, tail).decode('utf-8', 'replace')


def replaceable_target(path, what='file'):
    """The real path to write when replacing PATH; HostFileError when that would not be a file.

    A link to a regular file is followed (the link stays a link); a dangling link, or PATH (or
    its target) being a device, FIFO, socket or directory, is refused: writing there would
    create a file somewhere unplanned or replace something that is not ours.
    """
    target = os.path.realpath(path)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        if os.path.islink(path):
            raise HostFileError('%s %s is a link to %s, which does not exist: it is not followed; point '
                                'the link at a regular file or remove it' % (what, path, os.readlink(path)))
        return target
    if not stat.S_ISREG(info.st_mode):
        raise _refusal(path, info.st_mode, what)
    return target
