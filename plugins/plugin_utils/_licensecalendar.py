# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet's license calendar: every host's license id and expiry in one table, soonest first.

Days left are counted from the report's own time (UTC), not from each host's clock, so that a host
with a skewed clock does not move its row. A license with no expiry known (no license linked, an
``Expire`` line we cannot read, a host not swept) still has its row, after those with a date:
the calendar answers "which license runs out next", and a missing answer is part of it. The
severity of the host's own license finding, when it has one, is shown beside its row.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

# The findings of the license check whose severity the calendar shows.
LICENSE_FINDINGS = ('license_unlinked', 'license_expiring', 'license_expiry_unknown')
_ORDER = {'unlinked': 0, 'dated': 1, 'unknown': 2, 'not_swept': 3}
_RANK = {'critical': 0, 'warning': 1, 'info': 2}


def _expiry(value):
    """The expiry date a host gave (``YYYY-MM-DD``), or None when it gave none we can read."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _license_id(value):
    if isinstance(value, bool) or value in (None, ''):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _finding_severity(record):
    found = [f.get('severity') for f in record.get('findings') or () if f.get('id') in LICENSE_FINDINGS]
    return min(found, key=lambda severity: _RANK.get(severity, 9), default=None)


def calendar_row(record, today):
    """One host's row: id, expiry, days left (negative once expired), state and its finding's severity."""
    summary = record.get('summary') or {}
    license_id = _license_id(summary.get('license_id'))
    expires = _expiry(summary.get('license_expires'))
    if not record.get('reachable', True) or not summary:
        state = 'not_swept'
    elif license_id == 0:
        state = 'unlinked'
    elif expires is None:
        state = 'unknown'
    else:
        state = 'expired' if expires < today else 'valid'
    days_left = (expires - today).days if expires is not None else None
    epoch = None
    if expires is not None:
        # The day the license runs out, at its start in UTC: alerting a day early beats a day late.
        epoch = int(datetime(expires.year, expires.month, expires.day, tzinfo=timezone.utc).timestamp())
    return {'host': record['host'], 'license_id': license_id, 'expires': expires.isoformat() if expires else None,
            'expires_epoch': epoch, 'days_left': days_left, 'state': state, 'severity': _finding_severity(record)}


def _sort_key(row):
    group = 'dated' if row['days_left'] is not None else row['state']
    if row['state'] == 'unlinked':
        group = 'unlinked'
    return (_ORDER.get(group, 2), row['days_left'] if row['days_left'] is not None else 0, row['host'])


def license_calendar(hosts, generated_at):
    """Rows for every host of HOSTS: no license first, then by days left, then those not known.

    GENERATED_AT is the report's UTC time (``YYYY-MM-DDTHH:MM:SSZ``); the days are counted from its date.
    """
    today = datetime.strptime(generated_at, '%Y-%m-%dT%H:%M:%SZ').date()
    return sorted((calendar_row(record, today) for record in hosts), key=_sort_key)
