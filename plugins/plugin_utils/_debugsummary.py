# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The line debug.yml ends with for each host: which levels it left, until when, and where the
window's error threads went."""

from __future__ import annotations


def _name(log, module):
    return '%s.%s' % (log, module or '*')


def window_summary(host, present, logs, module, results, collect_file=None, check_mode=False):
    """One sentence for HOST from the debug_level RESULTS of this run (one per log of LOGS)."""
    results = [r for r in results or [] if isinstance(r, dict)]
    parts = []
    if present:
        entries = (results[-1].get('entries') if results else None) or []
        for log in logs:
            entry = next((e for e in entries if e.get('log') == log and (e.get('module') or '*') == (module or '*')), None)
            if entry is None:
                parts.append('%s: not raised' % _name(log, module))
                continue
            before = entry.get('previous')
            parts.append('%s at %s until %s (%s)' % (
                _name(log, module), entry.get('level'), entry.get('expires') or 'no end',
                'then back to %s' % before if before not in (None, '') else 'then removed'))
    else:
        for log, result in zip(logs, results):
            parts.append('%s: %s' % (_name(log, module), 'put back' if result.get('changed') else 'nothing to undo'))
    sentence = '%s: %s' % (host, '; '.join(parts) or 'no log named')
    if check_mode:
        sentence += ' (check mode: nothing was changed)'
    if collect_file:
        sentence += '. Error threads of the window: %s' % collect_file
    return sentence + '.'
