# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Space and inodes of the filesystems that hold given paths, as ``df -hT`` and ``df -i`` show them.

The mount of a path is the longest mount point above it in ``/proc/self/mountinfo`` (the last one
wins when a mount point is mounted over), which is what ``df`` reports; a bind mount counts as its
own mount point.  Sizes come from ``os.statvfs`` with ``df``'s arithmetic: use percent is used over
used plus available to unprivileged users.  Stdlib only, no Ansible imports.
"""

from __future__ import annotations

import os
import re

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import read_bytes

MOUNTINFO = '/proc/self/mountinfo'

_ESCAPE_RE = re.compile(r'\\([0-7]{3})')


def _unescape(field):
    # The kernel writes space, tab, newline and backslash in paths as octal escapes (\040 ...).
    return _ESCAPE_RE.sub(lambda match: chr(int(match.group(1), 8)), field)


def parse_mountinfo(text):
    """mountinfo text -> ``[{'mount': ..., 'fs_type': ..., 'source': ..., 'root': ...}]`` in order."""
    mounts = []
    for line in (text or '').splitlines():
        fields = line.split(' ')
        try:
            separator = fields.index('-', 6)
        except ValueError:
            continue
        if len(fields) < separator + 3:
            continue
        mounts.append({'mount': _unescape(fields[4]), 'root': _unescape(fields[3]),
                       'fs_type': fields[separator + 1], 'source': _unescape(fields[separator + 2])})
    return mounts


def _contains(mount_point, path):
    if mount_point == '/':
        return path.startswith('/')
    return path == mount_point or path.startswith(mount_point.rstrip('/') + '/')


def mount_of(path, mounts):
    """The entry of MOUNTS that holds the absolute PATH, or None."""
    best = None
    for mount in mounts:
        if _contains(mount['mount'], path) and (best is None or len(mount['mount']) >= len(best['mount'])):
            best = mount
    return best


def _pct(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def usage(path):
    """``os.statvfs`` of PATH as sizes and use percentages (``None`` where the fs reports no inodes)."""
    st = os.statvfs(path)
    size = st.f_blocks * st.f_frsize
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    avail = st.f_bavail * st.f_frsize
    inodes_used = st.f_files - st.f_ffree
    return {
        'size_bytes': size,
        'used_bytes': used,
        'avail_bytes': avail,
        'used_pct': _pct(used, used + avail),
        'inodes_total': st.f_files,
        'inodes_free': st.f_ffree,
        'inodes_used_pct': _pct(inodes_used, st.f_files),
    }


def _read_mounts(mountinfo):
    try:
        return parse_mountinfo(read_bytes(mountinfo).decode('utf-8', 'surrogateescape')), None
    except OSError as exc:
        return None, 'cannot read %s: %s' % (mountinfo, exc.strerror or exc)


def disk_facts(paths, mountinfo=MOUNTINFO):
    """One entry per mount holding one of PATHS, in the order of PATHS, with the paths it serves.

    A path that does not exist, or whose filesystem cannot be read, gets an entry of its own with
    ``error``; when mountinfo is unreadable the entries are grouped by device and say why ``mount``
    is null.
    """
    mounts, mounts_error = _read_mounts(mountinfo)
    entries = []
    by_key = {}
    for path in paths:
        real = os.path.realpath(path)
        if not os.path.exists(real):
            entries.append(failed_entry(path, '%s does not exist' % path))
            continue
        try:
            stats = usage(real)
            device = os.stat(real).st_dev
        except OSError as exc:
            entries.append(failed_entry(path, 'cannot stat the filesystem of %s: %s' % (path, exc.strerror or exc)))
            continue
        mount = mount_of(real, mounts) if mounts is not None else None
        key = ('mount', mount['mount']) if mount else ('device', device)
        if key in by_key:
            if path not in by_key[key]['serves']:
                by_key[key]['serves'].append(path)
            continue
        entry = {'mount': mount['mount'] if mount else None,
                 'fs_type': mount['fs_type'] if mount else None,
                 'source': mount['source'] if mount else None}
        entry.update(stats)
        entry['serves'] = [path]
        if mount is None:
            entry['error'] = mounts_error or 'no mount in %s holds %s' % (mountinfo, real)
        by_key[key] = entry
        entries.append(entry)
    return entries


def failed_entry(path, reason):
    return {'mount': None, 'fs_type': None, 'source': None, 'size_bytes': None, 'used_bytes': None,
            'avail_bytes': None, 'used_pct': None, 'inodes_total': None, 'inodes_free': None,
            'inodes_used_pct': None, 'serves': [path], 'error': reason}
