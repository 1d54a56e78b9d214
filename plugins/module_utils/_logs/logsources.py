# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which files a request for logs by name means: ``billmgr`` -> ``var/billmgr.log`` and its archives.

A name comes from a playbook, so it is held to the platform's log names (or a glob of them) and
never joined below ``var/`` as a path.  Archive names in ``var/logs/`` are not documented; any file
there that is the log's name followed by a date, a sequence number or a compression suffix counts.
Stdlib only and no Ansible imports.
"""

from __future__ import annotations

import fnmatch
import os
import re

from ansible_collections.billmgr.ops.plugins.module_utils._logs.logscan import LogSource
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import is_safe_name

LOG_SUFFIX = '.log'
_GLOB_RE = re.compile(r'[A-Za-z0-9_.*?-]{1,64}')
_ARCHIVE_TAIL = r'(?:\.log)?(?:[._-][0-9][^/\n]*|\.gz|\.bz2|\.xz)'


class LogSourceError(ValueError):
    """A log request that cannot be served; the message says what to give instead."""


def log_stem(name):
    """``billmgr.log`` -> ``billmgr``; a name without the suffix is kept."""
    return name[:-len(LOG_SUFFIX)] if name.endswith(LOG_SUFFIX) else name


def is_glob(name):
    return '*' in name or '?' in name


def check_name(name, layout):
    """NAME if it is a log name or a glob of them; LogSourceError naming the fix otherwise."""
    stem = log_stem(name)
    if is_glob(name):
        valid = _GLOB_RE.fullmatch(name) is not None and '..' not in name
    else:
        valid = is_safe_name(stem)
    if not valid:
        raise LogSourceError(
            'logs: log name %r is not a plain log name: give a name like billmgr or pmbillmgr found under '
            '%s (globs may use * and ?; no paths)' % (name, layout.var_dir))
    return stem


def find_sources(layout, names, rotated=False):
    """``(sources, missing)``: what to read for NAMES, in the order asked, and what is not there.

    Each log gives its archives (when ROTATED), oldest first, then its live file.  A log with
    neither, or a glob matching no log, is listed in MISSING under the name it was asked by.
    """
    stems = [(name, check_name(name, layout)) for name in names]
    if not os.path.isdir(layout.var_dir):
        raise LogSourceError('%s does not exist: is the platform installed under %s? Set mgr_root '
                             'to its install root' % (layout.var_dir, layout.root))
    live = _live_logs(layout.var_dir)
    archives = _files(layout.archive_dir) if rotated else []
    sources, missing, seen = [], [], set()
    for name, stem in stems:
        wanted = sorted(fnmatch.filter(live, stem)) if is_glob(name) else [stem]
        found_any = False
        for log in wanted:
            if log in seen:
                found_any = True
                continue
            files = archives_of(layout, log, archives) if rotated else []
            if log in live:
                files.append(layout.log(log))
            if files:
                seen.add(log)
                found_any = True
                sources.extend(LogSource(log, path) for path in files)
        if not found_any:
            missing.append(name)
    return sources, missing


def archives_of(layout, log, names=None):
    """Paths of LOG's archives in ``var/logs``, oldest first (by mtime, then name)."""
    pattern = re.compile(re.escape(log) + _ARCHIVE_TAIL)
    if names is None:
        names = _files(layout.archive_dir)
    paths = [os.path.join(layout.archive_dir, name) for name in names if pattern.fullmatch(name)]
    return sorted(paths, key=lambda path: (os.stat(path).st_mtime, path))


def _live_logs(var_dir):
    return set(log_stem(name) for name in _files(var_dir) if name.endswith(LOG_SUFFIX))


def _files(directory):
    # Everything but directories: a FIFO or a device named like a log is then refused by the
    # reader with a message, instead of passing for a missing log.
    try:
        with os.scandir(directory) as entries:
            return [entry.name for entry in entries if not entry.is_dir() and os.path.exists(entry.path)]
    except FileNotFoundError:
        return []
