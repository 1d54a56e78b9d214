# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Take turns writing one file: an exclusive ``flock`` on a lock file that sits next to it.

Two writers that each read a file, change it and write it back lose one update when they run at
once.  Both take :func:`held_lock` on :func:`lock_path_for` the file around the whole
read-modify-write.  The lock is on a separate file because the data file is replaced by a rename:
a lock on the old inode would not stop a writer who opened the new one.

The kernel drops the lock when its holder exits, killed or not, so a crash never leaves the file
locked.  The lock file itself stays (mode 0600, a line naming its last holder): removing it while
somebody waits on it would let a third writer lock a new file beside them.

Stdlib only and no Ansible imports: the host-side debug reverter uses it too.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import time
from contextlib import contextmanager
from datetime import datetime, timezone

DEFAULT_TIMEOUT = 60.0
DEFAULT_POLL_INTERVAL = 0.1
LOCK_MODE = 0o600
_BUSY = (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK)


class FileLockError(Exception):
    """The lock could not be taken; the message names the lock file and, when known, its holder."""


def lock_path_for(path):
    """``/usr/local/mgr5/etc/debug.conf`` -> ``/usr/local/mgr5/etc/.debug.conf.lock``.

    Through symlinks, so every spelling of the path locks the same file.
    """
    target = os.path.realpath(path)
    return os.path.join(os.path.dirname(target), '.%s.lock' % os.path.basename(target))


def _holder_text(fd):
    try:
        return os.pread(fd, 512, 0).decode('utf-8', 'replace').strip()
    except OSError:
        return ''


def _record_holder(fd, owner):
    stamp = datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    text = 'pid %d on %s since %s: %s\n' % (os.getpid(), socket.gethostname(), stamp, owner)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode('utf-8', 'replace'), 0)
    except OSError:
        pass  # the name of the holder only helps a message; the lock holds without it


@contextmanager
def held_lock(lock_path, owner='billmgr.ops', timeout=DEFAULT_TIMEOUT, poll_interval=DEFAULT_POLL_INTERVAL):
    """Hold an exclusive lock on LOCK_PATH for the ``with`` block; wait at most TIMEOUT seconds.

    OWNER is written into the lock file while it is held, so a writer that gives up can say who
    was in the way.  Raises :class:`FileLockError` when the lock file cannot be opened or the lock
    is still held by another process after TIMEOUT.
    """
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_CLOEXEC', 0), LOCK_MODE)
    except OSError as exc:
        raise FileLockError('cannot open the lock file %s: %s' % (lock_path, exc.strerror or exc))
    try:
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in _BUSY:
                    raise FileLockError('cannot lock %s: %s' % (lock_path, exc.strerror or exc))
            if time.monotonic() >= deadline:
                holder = _holder_text(fd)
                raise FileLockError(
                    '%s is still locked after %s seconds, by %s. Another run is changing the same '
                    'file; let it finish and run again (the lock goes with the process that holds it)'
                    % (lock_path, _seconds(timeout), holder or 'a process that did not name itself'))
            time.sleep(poll_interval)
        _record_holder(fd, owner)
        yield lock_path
    finally:
        # Closing the descriptor releases the lock.
        os.close(fd)


def _seconds(value):
    return int(value) if float(value).is_integer() else value
