# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the license client ``licctl`` prints and logs, read tolerantly.

``licctl info MGR`` prints ``ID: <n>`` first; ``ID: 0`` or no number means no license is linked
(runbook 000).  Other lines are known only in part: ``JustInstalled <domain>`` (a word, a space, a
value that may hold a colon) is seen, ``Expire`` and its date form are not confirmed.  Every line
other than ``ID`` and ``Expire`` is kept, as ``fields`` and verbatim in ``lines``, so nothing licctl
prints is dropped.  Lines containing ``Got`` in ``var/licctl.log`` mean a license was activated on
this server before, after which a trial can no longer be activated here (runbook 000).  Stdlib only.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import HostFileError, read_bytes

# The licctl log grows a few lines per call; its last 16 MiB hold any license it ever got.
LOG_LIMIT = 16 * 1024 * 1024

# ``Key: value`` (a key of up to four words, a space after the colon) or ``Key:value`` (one word);
# ``JustInstalled billing.example.com:1500`` is neither: a word and its value.
_KEY_VALUE_RE = re.compile(r'^\s*(?P<key>[A-Za-z][\w.-]*(?: [A-Za-z][\w.-]*){0,3})\s*:(?:\s+(?P<value>.*?))?\s*$'
                           r'|^\s*(?P<word>[A-Za-z][\w.-]*):(?P<rest>\S.*?)\s*$')
_WORD_REST_RE = re.compile(r'^\s*(?P<key>\S+)(?:\s+(?P<value>.*?))?\s*$')
_ID_RE = re.compile(r'^\s*(\d+)\b')

# Date forms seen or plausible in ``Expire:``; a time of day or zone after the date is ignored.
_DATE_FORMATS = ('%Y-%m-%d', '%Y/%m/%d', '%Y.%m.%d', '%d.%m.%Y', '%d/%m/%Y', '%d-%m-%Y',
                 '%b %d %Y', '%d %b %Y', '%B %d %Y', '%d %B %Y', '%Y%m%d')
_DATE_PART_RE = re.compile(
    r'(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}'
    r'|\d{1,2} [A-Za-z]{3,9}\.?,? \d{4}|\d{8})')


def parse_info(text):
    """``licctl info`` output -> ``{'id', 'linked', 'expires', 'expires_text', 'fields', 'lines'}``.

    ``id`` is an int or None (no number), ``linked`` is False for ``ID: 0`` or no id, ``expires`` a
    :class:`datetime.date` or None, ``expires_text`` the ``Expire`` value as printed, ``fields``
    every other line as ``{key: value}`` (the first of a key given twice), ``lines`` those lines
    verbatim, in order.
    """
    license_id = None
    expires_text = None
    fields = {}
    lines = []
    for line in (text or '').splitlines():
        if not line.strip():
            continue
        key, value = split_line(line)
        if key.lower() == 'id' and license_id is None:
            number = _ID_RE.match(value)
            license_id = int(number.group(1)) if number else None
        elif key.lower() in ('expire', 'expires') and expires_text is None:
            expires_text = value
        else:
            fields.setdefault(key, value)
            lines.append(line.rstrip())
    return {
        'id': license_id,
        'linked': bool(license_id),
        'expires': parse_expire(expires_text),
        'expires_text': expires_text,
        'fields': fields,
        'lines': lines,
    }


def split_line(line):
    """``(key, value)`` of one line of ``licctl info``."""
    match = _KEY_VALUE_RE.match(line)
    if match and match.group('key'):
        return match.group('key'), match.group('value') or ''
    if match:
        return match.group('word'), match.group('rest')
    match = _WORD_REST_RE.match(line)
    return match.group('key'), match.group('value') or ''


def parse_expire(text):
    """An ``Expire:`` value in any of a few forms -> :class:`datetime.date`, or None."""
    if not text:
        return None
    match = _DATE_PART_RE.search(text)
    if match is None:
        return None
    candidate = match.group(1).replace(',', '').replace('. ', ' ')
    for form in _DATE_FORMATS:
        try:
            return datetime.strptime(candidate, form).date()
        except ValueError:
            continue
    return None


def days_left(expires, today=None):
    """Whole days from TODAY (the host's local date) to EXPIRES; negative once past."""
    if expires is None:
        return None
    return (expires - (today or date.today())).days


def got_lines(log_path, keep=3):
    """``(count, last KEEP lines)`` of the lines containing ``Got`` in the licctl log; None without a log.

    Only the log's last LOG_LIMIT bytes are read; a log that is not a regular file (a FIFO would
    hang the read) counts as no log. Unreadable bytes are decoded with replacement.
    """
    try:
        data = read_bytes(log_path, LOG_LIMIT, 'the licctl log', tail=True)
    except (FileNotFoundError, HostFileError):
        return None
    found = [line.decode('utf-8', 'replace').rstrip() for line in data.splitlines() if b'Got' in line]
    return len(found), (found[-keep:] if keep else [])


def trial_used(log_path):
    """True when the licctl log shows a license was activated here before, False when not, None without a log.

    The name is kept for compatibility: a ``Got`` line is any license activation, not only a trial's.
    """
    found = got_lines(log_path, keep=0)
    return None if found is None else found[0] > 0


def info_argv(licctl_path, manager):
    return [licctl_path, 'info', manager]
