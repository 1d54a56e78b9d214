# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the license client ``licctl`` prints and logs, read tolerantly.

``licctl info MGR`` prints ``Key: value`` lines, the first being ``ID: <n>``; ``ID: 0`` or no number
means no license is linked.  Only ``ID`` and ``Expire`` are known; every other key is kept as it
comes.  Whether a trial license was ever activated shows as lines containing ``Got`` in
``var/licctl.log``.  Stdlib only.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from ansible_collections.billmgr.ops.plugins.module_utils._hostfile import HostFileError, read_bytes

# The licctl log grows a few lines per call; its last 16 MiB hold any license it ever got.
LOG_LIMIT = 16 * 1024 * 1024

_KEY_VALUE_RE = re.compile(r'^\s*(?P<key>[^:\s][^:]*?)\s*:\s*(?P<value>.*?)\s*$')
_WORD_REST_RE = re.compile(r'^\s*(?P<key>\S+)(?:\s+(?P<value>.*?))?\s*$')
_ID_RE = re.compile(r'^\s*(\d+)\b')

# Date forms seen or plausible in ``Expire:``; a time of day or zone after the date is ignored.
_DATE_FORMATS = ('%Y-%m-%d', '%Y/%m/%d', '%Y.%m.%d', '%d.%m.%Y', '%d/%m/%Y', '%d-%m-%Y',
                 '%b %d %Y', '%d %b %Y', '%B %d %Y', '%d %B %Y', '%Y%m%d')
_DATE_PART_RE = re.compile(
    r'(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}'
    r'|\d{1,2} [A-Za-z]{3,9}\.?,? \d{4}|\d{8})')


def parse_info(text):
    """``licctl info`` output -> ``{'id', 'linked', 'expires', 'expires_text', 'fields'}``.

    ``id`` is an int or None (no number), ``linked`` is False for ``ID: 0`` or no id, ``expires`` a
    :class:`datetime.date` or None, ``expires_text`` the ``Expire`` value as printed, ``fields``
    every other line as ``{key: value}``.
    """
    license_id = None
    expires_text = None
    fields = {}
    for line in (text or '').splitlines():
        if not line.strip():
            continue
        match = _KEY_VALUE_RE.match(line) or _WORD_REST_RE.match(line)
        key, value = match.group('key'), match.group('value') or ''
        if key.lower() == 'id' and license_id is None:
            number = _ID_RE.match(value)
            license_id = int(number.group(1)) if number else None
        elif key.lower() in ('expire', 'expires') and expires_text is None:
            expires_text = value
        else:
            fields[key] = value
    return {
        'id': license_id,
        'linked': bool(license_id),
        'expires': parse_expire(expires_text),
        'expires_text': expires_text,
        'fields': fields,
    }


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


def trial_used(log_path):
    """True when the licctl log shows a license was got, False when not, None without a log.

    A log that is not a regular file (a FIFO would hang the read) counts as no log.
    """
    try:
        return b'Got' in read_bytes(log_path, LOG_LIMIT, 'the licctl log', tail=True)
    except FileNotFoundError:
        return None
    except HostFileError:
        return None


def info_argv(licctl_path, manager):
    return [licctl_path, 'info', manager]
