# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replace a platform file in one step, so the platform never reads half of it.

The new content goes to a temporary file in the same directory (a rename across filesystems is
not atomic) and ``module.atomic_move`` puts it in place, carrying over owner, group, mode and
SELinux context of the file it replaces.  A symlinked file is written through the link, so the
link stays a link; only a regular file is ever replaced (``_hostside.hostfile.replaceable_target``).  A run
that could not keep the owner (not root, file owned by someone else) is refused before anything
is written: the file must not silently become the runner's.
"""

from __future__ import annotations

import os
import stat
import tempfile

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import HostFileError, replaceable_target

DEFAULT_CREATE_MODE = 0o644


class AtomicWriteError(Exception):
    """The file could not be replaced; the message names the file and the reason."""


def write_temp_beside(target, data, name=None):
    """A new temporary file in TARGET's directory holding DATA (bytes), synced to disk; its path.

    The rename that puts it in place is the caller's. On failure nothing is left behind and the
    error names NAME (default TARGET).
    """
    name = name or target
    directory = os.path.dirname(target) or '.'
    try:
        handle, temp_path = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(target), suffix='.tmp')
    except OSError as exc:
        raise AtomicWriteError('cannot write %s: cannot create a temporary file in %s: %s'
                               % (name, directory, exc.strerror or exc))
    try:
        with os.fdopen(handle, 'wb') as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
    except OSError as exc:
        os.unlink(temp_path)
        raise AtomicWriteError('cannot write %s: %s' % (name, exc))
    return temp_path


def write_file_atomic(module, path, data, backup=False, create_mode=DEFAULT_CREATE_MODE):
    """Write DATA (bytes) to PATH through MODULE; return the backup's path ('' when none made).

    A new file gets CREATE_MODE; an existing one keeps its attributes.  A temporary file left by a
    failure is removed.
    """
    try:
        target = replaceable_target(path)
    except HostFileError as exc:
        raise AtomicWriteError('cannot write %s' % exc)
    directory = os.path.dirname(target)
    previous = os.stat(target) if os.path.exists(target) else None
    existed = previous is not None
    if not os.path.isdir(directory):
        raise AtomicWriteError('cannot write %s: directory %s does not exist' % (path, directory))
    if previous is not None and os.geteuid() != 0 and previous.st_uid != os.geteuid():
        raise AtomicWriteError('cannot write %s without changing its owner (uid %d) to this user (uid %d): '
                               'run the task as root (become: true)' % (path, previous.st_uid, os.geteuid()))

    backup_file = ''
    if backup and existed:
        try:
            backup_file = module.backup_local(target)
            # A copy left on the host for root: backup_local keeps the original's mode (0644).
            os.chmod(backup_file, 0o600)
        except Exception as exc:
            raise AtomicWriteError('cannot back up %s before changing it: %s' % (path, exc))

    temp_path = write_temp_beside(target, data, path)
    module.add_cleanup_file(temp_path)
    try:
        module.atomic_move(temp_path, target)
        # atomic_move keeps the mode on most systems; said again so that no path of it can widen
        # or narrow what the file had.
        os.chmod(target, stat.S_IMODE(previous.st_mode) if existed else create_mode)
    except Exception as exc:
        raise AtomicWriteError('cannot write %s: %s' % (path, exc))
    finally:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
    return backup_file
