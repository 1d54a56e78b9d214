# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sweep's report files on the controller: found, and written in one step each.

The report role ran a module per file (stat, find, file, copy, three templates, link): each one a
Python start on the controller, about as much as the whole judging of fifty hosts. These plain
functions do the same work inside the Ansible worker that already runs.

A file is written to a temporary file beside it and renamed over the old one, so a reader (a
browser on report.html, node_exporter on the textfile) never sees half of it; a replaced file keeps
its owner and group.
"""

from __future__ import annotations

import os
import re
import shutil

from ansible_collections.billmgr.ops.plugins.module_utils._files.atomicfile import AtomicWriteError, write_temp_beside

SWEEP_ID = re.compile(r'^[0-9]{8}T[0-9]{6}Z$')
REPORT_FILE = 'report.json'
# A 10,000-host report.json is about 40 MB.
REPORT_READ_LIMIT = 256 * 2 ** 20


class ReportFilesError(Exception):
    """A report file could not be written; the message names the file and what to do."""


def earlier_reports(base):
    """Paths of BASE/<sweep id>/report.json, oldest first (sweep ids sort by time).

    ``latest`` and anything else not named as a sweep is left out, so each sweep is seen once.
    """
    try:
        names = os.listdir(base)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ReportFilesError('cannot list the report directory %s: %s' % (base, exc.strerror or exc))
    found = []
    for name in sorted(names):
        path = os.path.join(base, name, REPORT_FILE)
        if SWEEP_ID.match(name) and not os.path.islink(os.path.join(base, name)) and os.path.isfile(path):
            found.append(path)
    return found


def read_report(path):
    """The text of an earlier report.json, at most REPORT_READ_LIMIT bytes; what does not fit is cut,
    which the comparison then notes as a damaged report."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read(REPORT_READ_LIMIT)
    except OSError as exc:
        raise ReportFilesError('cannot read the previous report %s: %s' % (path, exc.strerror or exc))
    return data.decode('utf-8', errors='replace')


def prune_sweeps(base, keep, current):
    """Delete all but the KEEP newest sweep directories of BASE, never CURRENT; the deleted paths.

    Only directories named as sweeps count (not ``latest``, not a symlink, nothing else): the
    directory may hold what is not ours.
    """
    try:
        names = sorted(name for name in os.listdir(base)
                       if SWEEP_ID.match(name) and os.path.isdir(os.path.join(base, name))
                       and not os.path.islink(os.path.join(base, name)))
    except OSError as exc:
        raise ReportFilesError('cannot list the report directory %s to prune it: %s' % (base, exc.strerror or exc))
    current = os.path.abspath(current)
    old = [os.path.join(base, name) for name in names[:max(len(names) - keep, 0)]]
    removed = []
    for path in old:
        if os.path.abspath(path) == current:
            continue
        try:
            shutil.rmtree(path)
        except OSError as exc:
            raise ReportFilesError('cannot delete the old sweep %s (billmgr_report_keep): %s'
                                   % (path, exc.strerror or exc))
        removed.append(path)
    return removed


def make_directory(path, mode):
    """Create PATH (and its parents) with MODE unless it exists; True when created."""
    if os.path.isdir(path):
        return False
    try:
        os.makedirs(path, mode=mode)
        # makedirs applies the umask; the report's mode is the one asked for.
        os.chmod(path, mode)
    except OSError as exc:
        raise ReportFilesError('cannot create the report directory %s: %s' % (path, exc.strerror or exc))
    return True


def write_file(path, content, mode):
    """Replace PATH with CONTENT (text, written as UTF-8) in one rename, with MODE."""
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        raise ReportFilesError('cannot write %s: directory %s does not exist; create it or choose another path'
                               % (path, directory))
    try:
        previous = os.stat(path)
    except FileNotFoundError:
        previous = None
    except OSError as exc:
        raise ReportFilesError('cannot write %s: %s' % (path, exc.strerror or exc))
    try:
        temp_path = write_temp_beside(path, content.encode('utf-8'))
    except AtomicWriteError as exc:
        raise ReportFilesError(str(exc))
    try:
        os.chmod(temp_path, mode)
        if previous is not None:
            _keep_owner(temp_path, previous)
        os.replace(temp_path, path)
    except OSError as exc:
        _remove_quietly(temp_path)
        raise ReportFilesError('cannot write %s: %s' % (path, exc.strerror or exc))


def point_link(link, target):
    """Make LINK a symlink to TARGET, swapped in one rename; True when it changed.

    Anything at LINK other than a symlink is refused rather than replaced: it is not ours.
    """
    if os.path.islink(link):
        if os.readlink(link) == target:
            return False
    elif os.path.lexists(link):
        raise ReportFilesError('%s exists and is not a symlink; move it away so it can point at the newest sweep'
                               % link)
    temp_link = '%s.%d.tmp' % (link, os.getpid())
    try:
        _remove_quietly(temp_link)
        os.symlink(target, temp_link)
        os.replace(temp_link, link)
    except OSError as exc:
        _remove_quietly(temp_link)
        raise ReportFilesError('cannot point %s at %s: %s' % (link, target, exc.strerror or exc))
    return True


def _keep_owner(path, previous):
    info = os.stat(path)
    if (info.st_uid, info.st_gid) == (previous.st_uid, previous.st_gid):
        return
    try:
        os.chown(path, previous.st_uid, previous.st_gid)
    except PermissionError:
        # Not root: the file becomes ours, as any editor would leave it.
        pass


def _remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass
