# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's ERROR records grouped by what failed: (error type, object).

The sweep counts every ERROR record by type while it scans, but keeps only the first records of
the window in full; the objects (``Object: 'function'``), the first and last time of each group and
a sample thread come from those.  So a group's ``records`` is exact only while the scan kept every
record (``complete``); otherwise it counts the records kept, and the report says so.  The
controller joins these groups across hosts (plugin_utils/_fleetview.py).

Stdlib only and no Ansible imports.
"""

from __future__ import annotations

# Groups a host hands over, most records first: a host with more distinct failures than this is
# broken in ways a fleet table does not need to list one by one.
MAX_GROUPS = 50
# Lines of the sample thread kept per group: enough for the lines before the record and its own
# multi-line result (the scanner bounds both).
THREAD_LINES = 60
OTHER = 'other'


def _text(value):
    return value if isinstance(value, str) else ('' if value is None else str(value))


def error_groups(matches, complete, max_groups=MAX_GROUPS):
    """``{'complete', 'groups', 'dropped'}`` for MATCHES, the scanner's full records.

    A group: ``type``, ``object`` (``''`` when the line names none), ``records``, ``first`` and
    ``last`` (ISO times as the scanner gives them), and the first record's ``log``, ``thread_key``,
    ``message`` and ``thread_lines``.  A record without ``Type: '..'`` falls in type ``other``.
    """
    groups = {}
    for match in matches:
        error = match.get('error') or {}
        key = (_text(error.get('type')) or OTHER, _text(error.get('object')))
        moment = match.get('time')
        group = groups.get(key)
        if group is None:
            groups[key] = group = {
                'type': key[0], 'object': key[1], 'records': 0, 'first': moment, 'last': moment,
                'log': match.get('log'), 'thread_key': match.get('thread_key'),
                'message': _text(match.get('message')).split('\n', 1)[0],
                'thread_lines': list(match.get('context') or [])[:THREAD_LINES],
            }
        group['records'] += 1
        # Records come in file order per file, not in time order across files.
        if moment and (not group['first'] or moment < group['first']):
            group['first'] = moment
        if moment and (not group['last'] or moment > group['last']):
            group['last'] = moment
    ordered = sorted(groups.values(), key=lambda g: (-g['records'], g['type'], g['object']))
    return {'complete': bool(complete), 'groups': ordered[:max_groups],
            'dropped': max(len(ordered) - max_groups, 0)}
