# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's clock, how far it is from a reference time, and whether NTP keeps it in step.

The platform checks its license against the host's clock, so a clock that is off blocks it.  The
reference is the controller's own time handed over as an option: an epoch number, or an ISO time
where no zone means UTC (a controller's time has nothing to do with the host's zone).  The skew is
host minus reference, so a clock running ahead is positive.  Without a reference the controller
side measures the skew over the call's round trip (plugins/plugin_utils/_clockskew.py).  Stdlib
only, no Ansible imports.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import TimeSpecError, iso_local, parse_time

NTP_ARGV_TAIL = ['show', '-p', 'NTPSynchronized', '--value']

_NUMBER_RE = re.compile(r'^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$')
_HAS_ZONE_RE = re.compile(r'(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$')
_TIME_OF_DAY_RE = re.compile(r'[T ]\d{2}:\d{2}')


class ReferenceTimeError(ValueError):
    """A reference time that cannot be read."""


def parse_reference_time(value):
    """The option ``reference_time`` -> seconds since the epoch (float), or None when not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ReferenceTimeError('reference_time: %r is not a time' % (value,))
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise ReferenceTimeError('reference_time: %r is not an epoch number or an ISO time' % (value,))
    text = value.strip()
    if _NUMBER_RE.match(text):
        return float(text)
    # A date alone ends in digits after a dash (``-23``) that only look like an offset.
    has_zone = text[-1:] in 'Zz' or bool(_TIME_OF_DAY_RE.search(text) and _HAS_ZONE_RE.search(text))
    if not has_zone:
        text += 'Z'
    try:
        local = parse_time(text, option='reference_time')
    except TimeSpecError as exc:
        raise ReferenceTimeError('%s (an epoch number such as 1795000000 works too; an ISO time '
                                 'without a zone is read as UTC)' % exc)
    # parse_time gives the host's local wall-clock time; timestamp() reads a naive time as local.
    return local.timestamp()


def clock_facts(now, reference=None):
    """The ``clock`` section (without NTP) for host time NOW and controller time REFERENCE (epochs)."""
    moment = datetime.fromtimestamp(now, timezone.utc)
    return {
        'utc': moment.strftime('%Y-%m-%dT%H:%M:%SZ'),
        'local': iso_local(datetime.fromtimestamp(now)),
        'timezone': time.strftime('%Z', time.localtime(now)),
        'epoch': round(now, 3),
        'reference_epoch': None if reference is None else round(reference, 3),
        'skew_seconds': None if reference is None else round(now - reference, 3),
        # Measured by the action plugin over the call's round trip when no reference is given.
        'skew_uncertainty_seconds': None,
        'round_trip_seconds': None,
    }


def parse_ntp(result):
    """``(synchronized, reason)`` from a ``timedatectl show -p NTPSynchronized --value`` CommandResult."""
    if result.timed_out:
        return None, 'timedatectl did not answer within %s seconds' % result.timeout
    answer = result.stdout.strip().lower()
    if result.rc == 0 and answer in ('yes', 'no'):
        return answer == 'yes', None
    said = result.output.splitlines()
    return None, 'timedatectl gave no answer (exit status %s): %s' % (
        result.rc, said[-1] if said else 'no output')
