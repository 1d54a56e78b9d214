# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbook's first look at the kernel ring buffer and the journal: lines that say something broke.

The runbook greps ``dmesg`` and ``journalctl`` output for ``error|failed|critical|bug|panic``
without case.  It is kept as it is, substring semantics included (``debug`` contains ``bug``), so
counts match what an operator following the runbook sees.  Kernel lines carry seconds since boot;
they are put on the wall clock with the boot time from ``/proc/uptime`` so they can be cut at
``since`` and shown with a date.  Stdlib only, no Ansible imports.
"""

from __future__ import annotations

import re
from datetime import datetime

DEFAULT_PATTERN = 'error|failed|critical|bug|panic'

_DMESG_RE = re.compile(r'^\[\s*(\d+(?:\.\d+)?)\]\s?(.*)$')
# What journalctl says when it cannot use --grep (no pattern matching compiled in, or too old).
_NO_GREP_RE = re.compile(r'pattern matching|unrecognized option|invalid option|unknown option|--grep|--case-sensitive',
                         re.IGNORECASE)
_NO_JOURNAL_RE = re.compile(r'No journal files were found', re.IGNORECASE)
_NO_ENTRIES = '-- No entries --'


class PatternError(ValueError):
    """An error pattern that is not a regular expression."""


def compile_pattern(text):
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise PatternError('error_pattern: %r is not a regular expression: %s' % (text, exc))


def summary(matched, limit, since_text, since_applied=True):
    """A scan's result: how many lines matched and the last LIMIT of them."""
    return {'available': True, 'reason': None, 'count': len(matched),
            'lines': list(matched[-limit:]) if limit > 0 else [], 'since': since_text,
            'since_applied': since_applied}


def unavailable(reason, since_text, error=None):
    """A source that could not be read: absent tools are not failures, a hung or broken tool is."""
    section = {'available': False, 'reason': reason, 'count': None, 'lines': [], 'since': since_text,
               'since_applied': False}
    if error:
        section['error'] = error
    return section


def failure(result, tool, since_text):
    """The section for a CommandResult that timed out or failed in a way nobody expected."""
    if result.timed_out:
        reason = '%s did not answer within %s seconds and was killed' % (tool, result.timeout)
        return unavailable(reason, since_text, error=reason)
    said = result.output.splitlines()
    reason = '%s failed (exit status %s): %s' % (tool, result.rc, said[-1] if said else 'no output')
    return unavailable(reason, since_text)


# ---- kernel ring buffer --------------------------------------------------------------------------

def boot_epoch(now, uptime_text):
    """When the host booted, from NOW and ``/proc/uptime``; None when uptime cannot be read."""
    try:
        return now - float((uptime_text or '').split()[0])
    except (IndexError, ValueError):
        return None


def dmesg_records(text, boot):
    """``[(epoch or None, line)]`` from plain ``dmesg`` output; continuation lines keep the last time.

    With a BOOT time, a line is shown as ``2026-11-23T14:02:11 message`` in host local time.
    """
    records = []
    when = None
    for raw in (text or '').splitlines():
        if not raw.strip():
            continue
        match = _DMESG_RE.match(raw)
        if match and boot is not None:
            when = boot + float(match.group(1))
            shown = '%s %s' % (datetime.fromtimestamp(when).strftime('%Y-%m-%dT%H:%M:%S'), match.group(2))
        elif match:
            shown = raw
        else:
            shown = raw.rstrip()
        records.append((when if boot is not None else None, shown))
    return records


def kernel_errors(text, pattern, since_epoch, boot, limit, since_text):
    """The ``kernel_errors`` section from ``dmesg`` output."""
    records = dmesg_records(text, boot)
    timed = any(when is not None for when, _line in records)
    cut = timed and since_epoch is not None
    matched = [line for when, line in records
               if pattern.search(line) and (not cut or when is None or when >= since_epoch)]
    return summary(matched, limit, since_text, since_applied=cut)


# ---- journal -------------------------------------------------------------------------------------

def journal_argv(journalctl, since_local, pattern_text=None):
    """journalctl for everything since SINCE_LOCAL (naive local datetime), filtered by it when it can."""
    argv = [journalctl, '--no-pager', '--output=short-iso']
    if since_local is not None:
        argv += ['--since', since_local.strftime('%Y-%m-%d %H:%M:%S')]
    if pattern_text is not None:
        argv += ['--grep', pattern_text, '--case-sensitive=false']
    return argv


def grep_unsupported(result):
    return result.rc != 0 and not result.timed_out and bool(_NO_GREP_RE.search(result.stderr))


def journal_errors(result, pattern, limit, since_text):
    """The ``journal_errors`` section from a journalctl CommandResult."""
    if _NO_JOURNAL_RE.search(result.stderr):
        return unavailable('journalctl found no journal files (journald does not keep a journal here)', since_text)
    lines = [line for line in result.stdout.splitlines() if line.strip() and not line.startswith('-- ')]
    # With --grep, no match is exit status 1 and "-- No entries --".
    no_match = result.rc == 1 and not lines and (_NO_ENTRIES in result.stdout or not result.stderr.strip())
    if result.timed_out or (result.rc != 0 and not no_match):
        return failure(result, 'journalctl', since_text)
    return summary([line for line in lines if pattern.search(line)], limit, since_text,
                   since_applied=since_text is not None)
