# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why billmaintain failed to bill a service, and whether it stopped it, read from billmaintain.log.

The daily run works on one item at a time per thread, starting it with
``Query('func=service.statdaily&item=N...')`` or ``Query('func=service.billdaily&item=N...')``.
When the overage cannot be charged, the platform logs (runbook 003) a DEBUG record
``rpc DEBUG mgrclient.cpp:215 Result xml:`` whose XML continuation carries the params amount, have,
currency, deficit and limit, the backtrace, and then ``libmgr ERROR Error: Type: 'not_enough_money'``
which carries none.  A resource over its add-on maximum gives
``Error: Type: 'stat_addon_over_limit'``.  Either may be followed by
``QUERY: func=service.autosuspend&item=N&stat=on``: the service is stopped.

Every failure is reported, stopped or not; the records of one failure (same thread, same item) are
merged, and a later record never wipes a parameter an earlier one carried.  At the levels most
servers run at the DEBUG record is not written: the amounts are then null and the failure says
why and how to get them, never an empty value that reads as zero.

Stdlib only and no Ansible imports.
"""

from __future__ import annotations

import re

NOT_ENOUGH_MONEY = 'not_enough_money'
ADDON_OVER_LIMIT = 'stat_addon_over_limit'
UNKNOWN = 'unknown'
# What scan() must look for to see every step above; it is matched in continuation lines too.
SCAN_PATTERN = r'service\.(?:billdaily|statdaily|autosuspend)|not_enough_money|stat_addon_over_limit'
SCAN_LEVELS = ('ERROR', 'WARNING', 'INFO', 'EXTINFO', 'DEBUG')
MONEY_PARAMS = ('amount', 'have', 'currency', 'deficit', 'limit')
# The log whose level decides whether the amounts are written, and how to raise it for a while.
LOG = 'billmaintain'
AMOUNTS_HIDDEN = (
    "billmaintain.log has no DEBUG record with this error's amounts (rpc DEBUG ... Result xml): its "
    "level in etc/debug.conf hides them. Raise it until the next daily run has passed, e.g. "
    "ansible-playbook playbooks/debug.yml -l HOST -e debug_logs=billmaintain -e debug_for=26h, then "
    "read the stop again")

_ITEM_START_RE = re.compile(r'func=service\.(?:billdaily|statdaily)&(?:[^&\')\s]*&)*?item=(\d+)')
_AUTOSUSPEND_RE = re.compile(r'func=service\.autosuspend&(?:[^&\')\s]*&)*?item=(\d+)&(?:[^&\')\s]*&)*?stat=on')
_PARAM_RE = re.compile(r'<param name="(\w+)">([^<]*)</param>')


def reason_of(message):
    """``(reason, params)`` of a record that reports a billing failure, else ``(None, None)``.

    PARAMS holds only the money params the record carries with a value: a record without them
    (the trailing ERROR line) has none to give, which is not the same as zero.
    """
    if 'type="%s"' % NOT_ENOUGH_MONEY in message or "'%s'" % NOT_ENOUGH_MONEY in message:
        params = dict(_PARAM_RE.findall(message))
        return NOT_ENOUGH_MONEY, dict((key, params[key].strip()) for key in MONEY_PARAMS
                                      if params.get(key, '').strip())
    if ADDON_OVER_LIMIT in message:
        return ADDON_OVER_LIMIT, {}
    return None, None


def _new_failure(item, reason, record):
    failure = {'item': item, 'reason': reason, 'time': record.get('time'), 'thread': record.get('thread_key'),
               'log': record.get('log'), 'stopped': False, 'stopped_at': None}
    if reason == NOT_ENOUGH_MONEY:
        failure.update((key, None) for key in MONEY_PARAMS)
    return failure


def _merge(failure, params):
    """Fill the params FAILURE does not have yet; a value already known is kept."""
    for key, value in params.items():
        if failure.get(key) is None:
            failure[key] = value


def _finish(failure):
    if failure['reason'] == NOT_ENOUGH_MONEY:
        failure['amounts_logged'] = failure.get('amount') is not None
        if not failure['amounts_logged']:
            failure['amounts_note'] = AMOUNTS_HIDDEN
    return failure


def early_stops(records, items=None):
    """Billing failures and stops found in RECORDS (scan() matches, in file order).

    Returns one dict per failure, in the order they happened: ``item`` (null when the thread's
    item query was not seen), ``reason`` (``not_enough_money``, ``stat_addon_over_limit``, or
    ``unknown`` for a stop whose thread showed no cause), ``time``, ``thread``, ``log``,
    ``stopped`` and ``stopped_at`` (the time of the ``service.autosuspend ... stat=on`` line); for
    ``not_enough_money`` also the money params (null when not logged), ``amounts_logged`` and,
    without them, ``amounts_note``.  ITEMS keeps only those items.
    """
    wanted = set(int(item) for item in items) if items else None
    current = {}    # thread -> item it works on
    pending = {}    # thread -> the failure of that item, until the thread moves on
    found = []
    for record in records:
        thread = record.get('thread_key')
        message = record.get('message') or ''
        started = _ITEM_START_RE.search(message)
        if started and not _AUTOSUSPEND_RE.search(message):
            current[thread] = int(started.group(1))
            pending.pop(thread, None)
            continue
        reason, params = reason_of(message)
        if reason:
            failure = pending.get(thread)
            if failure is None or failure['reason'] != reason or failure['stopped']:
                failure = _new_failure(current.get(thread), reason, record)
                pending[thread] = failure
                found.append(failure)
            _merge(failure, params)
            continue
        suspended = _AUTOSUSPEND_RE.search(message)
        if not suspended:
            continue
        item = int(suspended.group(1))
        failure = pending.get(thread)
        if failure is None or failure['stopped'] or failure['item'] not in (None, item):
            failure = _new_failure(item, UNKNOWN, record)
            found.append(failure)
        failure.update(item=item, stopped=True, stopped_at=record.get('time'))
        pending.pop(thread, None)
    return [_finish(failure) for failure in found if wanted is None or failure['item'] in wanted]
