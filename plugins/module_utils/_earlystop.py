# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why billmaintain stopped a service early, read from billmaintain.log.

The daily run bills each item in its thread: ``Query('func=service.billdaily&item=N&from=daily')``,
then, when the overage cannot be charged, either a ``not_enough_money`` error (an XML result with
the params amount, have, currency, deficit, limit) or ``Error: Type: 'stat_addon_over_limit'``, and
then ``QUERY: func=service.autosuspend&item=N&stat=on``. The reason of a stop is the last one seen
in the stop's thread since that thread started billing an item.

Stdlib only and no Ansible imports.
"""

from __future__ import annotations

import re

NOT_ENOUGH_MONEY = 'not_enough_money'
ADDON_OVER_LIMIT = 'stat_addon_over_limit'
REASONS = (NOT_ENOUGH_MONEY, ADDON_OVER_LIMIT)
# What scan() must look for to see every step above; it is matched in continuation lines too.
SCAN_PATTERN = r'service\.(?:billdaily|autosuspend)|not_enough_money|stat_addon_over_limit'
SCAN_LEVELS = ('ERROR', 'WARNING', 'INFO', 'EXTINFO', 'DEBUG')
MONEY_PARAMS = ('amount', 'have', 'currency', 'deficit', 'limit')

_BILLDAILY_RE = re.compile(r'func=service\.billdaily&item=(\d+)')
_AUTOSUSPEND_RE = re.compile(r'func=service\.autosuspend&item=(\d+)&stat=on')
_PARAM_RE = re.compile(r'<param name="(\w+)">([^<]*)</param>')


def _reason_of(message):
    if 'type="%s"' % NOT_ENOUGH_MONEY in message or "'%s'" % NOT_ENOUGH_MONEY in message:
        params = dict(_PARAM_RE.findall(message))
        return NOT_ENOUGH_MONEY, dict((key, params.get(key, '')) for key in MONEY_PARAMS)
    if ADDON_OVER_LIMIT in message:
        return ADDON_OVER_LIMIT, {}
    return None, None


def early_stops(records, items=None):
    """Stops found in RECORDS (scan() matches, in file order), optionally only of ITEMS.

    Returns ``[{item, reason, time, thread, log, ...money params}]`` in the order of the stops;
    ``reason`` is ``unknown`` when the thread showed no cause before the stop.
    """
    wanted = set(int(item) for item in items) if items else None
    pending = {}
    stops = []
    for record in records:
        thread = record.get('thread_key')
        message = record.get('message') or ''
        if _BILLDAILY_RE.search(message) and not _AUTOSUSPEND_RE.search(message):
            pending.pop(thread, None)
            continue
        reason, params = _reason_of(message)
        if reason:
            pending[thread] = (reason, params)
            continue
        suspended = _AUTOSUSPEND_RE.search(message)
        if not suspended:
            continue
        item = int(suspended.group(1))
        reason, params = pending.pop(thread, ('unknown', {}))
        if wanted is not None and item not in wanted:
            continue
        stop = {'item': item, 'reason': reason, 'time': record.get('time'), 'thread': thread,
                'log': record.get('log')}
        stop.update(params)
        stops.append(stop)
    return stops
