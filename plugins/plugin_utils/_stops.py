# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Explain billmaintain's billing failures and early stops with the runbook's fixes (runbook 003).

The service_stops role hands over what it read on one host: the failures of billmgr_facts'
``early_stops`` section, and from the database each item's status (``items`` query), its account's
balance, credit limit and last top-up (``item_accounts``) and its promised payments.  The result is
one entry per failure and one per item asked about that had none, ready for the report.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal, InvalidOperation

SUSPENDED = 3
STATUS_NAMES = {1: 'ordered', 2: 'active', 3: 'suspended', 4: 'deleted', 5: 'in processing'}
MONEY = 'not_enough_money'
ADDON = 'stat_addon_over_limit'
FIXES = {
    MONEY: [
        'Raise the included value of the resource in the tariff plan, so that less overage is billed.',
        'Allow post-paid overage for the resource, so that it is billed after the fact instead of stopping the service.',
    ],
    ADDON: ['Raise the maximum of the add-on; the service is stopped at the maximum whatever the balance.'],
    'unknown': ["billmaintain's thread shows no cause before the stop; read the thread in var/billmaintain.log "
                '(billmgr.ops.log_grep).'],
}
SUBACCOUNT_KEYS = ('subaccount', 'currency', 'balance', 'creditlimit', 'last_topup', 'last_topup_amount')
_CENT = Decimal('0.01')


def _number(text):
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return value if value.is_finite() else None


def _by_item(rows, key='item'):
    grouped = {}
    for row in rows or []:
        grouped.setdefault(row.get(key), []).append(row)
    return grouped


def status_name(status):
    return STATUS_NAMES.get(status, None if status is None else str(status))


def credit_fix(failure, accounts):
    """The third fix of a money failure: a credit limit that covers the deficit, when it is known.

    The limit is rounded up to the cent: 0.1048 of deficit needs 0.11, not 0.10.  Without the
    amounts (the log's level hid them) no figure is made up; the database's limit is named instead.
    """
    deficit, limit = _number(failure.get('deficit')), _number(failure.get('limit'))
    currency = ' ' + failure['currency'] if failure.get('currency') else ''
    if deficit is not None and limit is not None:
        needed = (limit + deficit).quantize(_CENT, rounding=ROUND_CEILING)
        return ('Give the account a credit limit of at least %s%s (it is %s now), enough to cover the deficit of %s.'
                % (needed, currency, failure.get('limit'), failure.get('deficit')))
    known = ', '.join('%s in subaccount %s' % (row.get('creditlimit'), row.get('subaccount'))
                      for row in accounts if row.get('creditlimit') is not None)
    return ('Give the account a credit limit that covers the deficit (billmaintain.log did not give the amounts%s). %s'
            % ('; the credit limit is %s now' % known if known else '', failure.get('amounts_note') or '')).strip()


def _money_text(entry):
    if not entry['amounts_logged']:
        return 'not enough money for the overage (the amounts were not logged: raise the level of billmaintain.log)'
    return ('not enough money for the overage, %s %s to charge, %s on the balance, deficit %s, credit limit %s'
            % (entry['amount'], entry['currency'], entry['balance'], entry['deficit'], entry['credit_limit']))


def _summary(entry):
    if entry['reason'] == MONEY:
        cause = ': ' + _money_text(entry)
    elif entry['reason'] == ADDON:
        cause = ': a resource went past the maximum of its add-on (stat_addon_over_limit)'
    else:
        cause = ', with no cause in its billmaintain thread %s' % entry['thread']
    if entry['stopped_by'] == 'log':
        head = 'item %s was stopped at %s' % (entry['item'], entry['stopped_at'])
    elif entry['stopped_by'] == 'database':
        head = 'item %s could not be billed at %s and is suspended in the database' % (entry['item'], entry['time'])
    else:
        head = 'item %s could not be billed at %s, not stopped' % (entry['item'], entry['time'])
    status = entry['status_name'] or 'not in the database'
    return '%s%s; status now: %s%s' % (head, cause, status, _account_text(entry['account']))


def _account_text(account):
    """The runbook's first look at the account: balance, credit limit, last top-up, per subaccount."""
    if not account or not account['subaccounts']:
        return ''
    parts = ['balance %s, credit limit %s, last top-up %s' % (
        sub['balance'], sub['creditlimit'],
        '%s of %s' % (sub['last_topup'], sub['last_topup_amount']) if sub['last_topup'] else 'none')
        for sub in account['subaccounts']]
    return '; account %s: %s' % (account['id'], '; '.join(parts))


def _failure_entry(failure, item_row, accounts, promises):
    money = failure.get('reason') == MONEY
    status = (item_row or {}).get('status')
    stopped_in_log = bool(failure.get('stopped'))
    entry = {
        'item': failure.get('item'),
        'found': True,
        'reason': failure.get('reason'),
        'time': failure.get('time'),
        'thread': failure.get('thread'),
        'stopped': stopped_in_log or status == SUSPENDED,
        'stopped_at': failure.get('stopped_at'),
        'stopped_by': 'log' if stopped_in_log else 'database' if status == SUSPENDED else None,
        'amount': failure.get('amount') if money else None,
        'balance': failure.get('have') if money else None,
        'deficit': failure.get('deficit') if money else None,
        'currency': failure.get('currency') if money else None,
        'credit_limit': failure.get('limit') if money else None,
        'amounts_logged': bool(failure.get('amounts_logged', failure.get('amount') is not None)) if money else None,
        'amounts_note': failure.get('amounts_note') if money else None,
        'status': status,
        'status_name': status_name(status) if item_row else None,
        'expiredate': (item_row or {}).get('expiredate'),
        'account': _account(accounts),
        'promised_payments': promises,
    }
    if money:
        entry['fixes'] = FIXES[MONEY] + [credit_fix(failure, accounts)]
    else:
        entry['fixes'] = list(FIXES.get(entry['reason'], FIXES['unknown']))
    entry['summary'] = _summary(entry)
    return entry


def _account(rows):
    """The account owning the item as the database holds it now: balance, limit, last top-up per subaccount."""
    if not rows:
        return None
    first = rows[0]
    return {
        'id': first.get('account'),
        'name': first.get('account_name'),
        'subaccounts': [dict((key, row.get(key)) for key in SUBACCOUNT_KEYS)
                        for row in rows if row.get('subaccount') is not None],
    }


def _not_found_entry(item, item_row, accounts, promises, since):
    if item_row:
        note = ('no billing failure of this item in billmaintain.log since %s (its rotated archives in var/logs/ '
                'included); widen stops_since' % since)
    else:
        note = 'no such item in the database'
    entry = {
        'item': item,
        'found': False,
        'reason': None,
        'stopped': (item_row or {}).get('status') == SUSPENDED,
        'status': (item_row or {}).get('status'),
        'status_name': status_name((item_row or {}).get('status')) if item_row else None,
        'expiredate': (item_row or {}).get('expiredate'),
        'account': _account(accounts),
        'promised_payments': promises,
        'fixes': [],
        'note': note,
    }
    entry['summary'] = 'item %s: %s%s' % (item, note, '; status now: %s' % entry['status_name'] if item_row else '')
    return entry


def explain(failures, wanted=None, item_rows=None, account_rows=None, promises=None, since=None):
    """Entries for FAILURES (billmgr_facts early_stops items) of the items WANTED (all when empty).

    ITEM_ROWS, ACCOUNT_ROWS, PROMISES: rows of the ``items``, ``item_accounts`` and
    ``promised_payments`` queries.  Returns ``(stops, not_found)``: one entry per failure, and one per
    wanted item without a failure in the window.
    """
    wanted = [int(item) for item in wanted or []]
    items = dict((row.get('id'), row) for row in item_rows or [])
    accounts = _by_item(account_rows)
    promised = _by_item(promises)
    chosen = [failure for failure in failures or [] if not wanted or failure.get('item') in wanted]
    stops = [_failure_entry(failure, items.get(failure.get('item')), accounts.get(failure.get('item'), []),
                            promised.get(failure.get('item'), []))
             for failure in chosen]
    seen = set(failure.get('item') for failure in chosen)
    not_found = [_not_found_entry(item, items.get(item), accounts.get(item, []), promised.get(item, []), since)
                 for item in wanted if item not in seen]
    return stops, not_found
