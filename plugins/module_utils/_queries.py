# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbooks' look-ups in the ``billmgr`` database, as fixed SQL.

A query is chosen by name; what varies (an item or account id, a list of ids, an age in hours) is
validated into plain Python ints before any SQL text exists, and only those ints (and the host's
clock, formatted here) are put into the SQL.  Nothing an operator types reaches the SQL as text,
so ``1; DROP TABLE item`` is refused with a message naming the option, not quoted.

Ages are measured against the managed host's clock, as the platform writes its timestamps with it.
Stdlib only.
"""

from __future__ import annotations

import re
from collections import namedtuple

from ansible_collections.billmgr.ops.plugins.module_utils._secrets import MASK, looks_secret

PAYMENT_IN_PAY = 2
PAYMENT_PAID = 4
DEFAULT_HOURS = 1
MAX_HOURS = 24 * 366 * 10
MAX_IDS = 1000
PARAMETERS = ('item', 'account', 'ids', 'hours')
_ID_RE = re.compile(r'^[1-9][0-9]{0,17}$')
_COUNT_RE = re.compile(r'^(?:0|[1-9][0-9]{0,8})$')


class QueryError(ValueError):
    """A query that must not be run: unknown name, missing or malformed parameter."""


# NEEDS: parameters that must be given; TAKES: optional ones with their defaults.
Query = namedtuple('Query', 'name description needs takes sql types')

QUERIES = dict((query.name, query) for query in (
    Query('referral', 'The referral attachment of an account: its partner per provider.', ('account',), {},
          'SELECT ap.account, ap.project, ap.partner, ap.referral, a.name AS account_name, '
          'partner.name AS partner_name\n'
          'FROM account2project ap\n'
          'LEFT JOIN account a ON a.id = ap.account\n'
          'LEFT JOIN account partner ON partner.id = ap.partner\n'
          'WHERE ap.account = {account}\nORDER BY ap.project',
          {'account': 'int', 'project': 'int', 'partner': 'int', 'referral': 'int'}),
    Query('item_processing_module', 'The processing module that serves an item.', ('item',), {},
          'SELECT i.id AS item, i.processingmodule, pm.name AS processingmodule_name, pm.module, pm.active\n'
          'FROM item i\n'
          'LEFT JOIN processingmodule pm ON pm.id = i.processingmodule\n'
          'WHERE i.id = {item}',
          {'item': 'int', 'processingmodule': 'int'}),
    Query('item_params', 'The parameters of an item (license details among them); secrets masked.', ('item',), {},
          'SELECT ip.item, ip.intname, ip.value\n'
          'FROM itemparam ip\n'
          'WHERE ip.item = {item}\nORDER BY ip.intname, ip.value',
          {'item': 'int'}),
    Query('active_providers', 'The providers (projects) that are switched on.', (), {},
          "SELECT pr.id, pr.name\nFROM project pr\nWHERE pr.active = 'on'\nORDER BY pr.id",
          {'id': 'int'}),
    Query('item_provider', "The provider of an item's tariff plan.", ('item',), {},
          'SELECT i.id AS item, i.pricelist, pl.intname AS pricelist_intname, pl.project, '
          'pr.name AS project_name, pr.active AS project_active\n'
          'FROM item i\n'
          'LEFT JOIN pricelist pl ON pl.id = i.pricelist\n'
          'LEFT JOIN project pr ON pr.id = pl.project\n'
          'WHERE i.id = {item}',
          {'item': 'int', 'pricelist': 'int', 'project': 'int'}),
    Query('promised_payments', 'Services with a promised payment in force.', (), {},
          'SELECT pp.id, pp.item, pp.account, pp.amount, pp.createdate, pp.enddate, '
          'i.status AS item_status, i.expiredate AS item_expiredate\n'
          'FROM promisepayment pp\n'
          'LEFT JOIN item i ON i.id = pp.item\n'
          'ORDER BY pp.id',
          {'id': 'int', 'item': 'int', 'account': 'int', 'amount': 'decimal', 'createdate': 'datetime',
           'enddate': 'date', 'item_status': 'int', 'item_expiredate': 'date'}),
    Query('credit_limits', 'Accounts whose subaccounts have a credit limit above zero.', (), {},
          'SELECT s.account, a.name AS account_name, s.id AS subaccount, s.currency, s.balance, s.creditlimit\n'
          'FROM subaccount s\n'
          'LEFT JOIN account a ON a.id = s.account\n'
          'WHERE s.creditlimit > 0\n'
          'ORDER BY s.account, s.id',
          {'account': 'int', 'subaccount': 'int', 'currency': 'int', 'balance': 'decimal',
           'creditlimit': 'decimal'}),
    Query('stuck_payments', 'Payments in status 2 (in pay) created more than O(hours) ago.', (),
          {'hours': DEFAULT_HOURS},
          'SELECT p.id, p.subaccount, s.account, p.paymethod, m.name AS paymethod_name, '
          'm.module AS paymethod_module, p.amount, p.createdate, '
          "TIMESTAMPDIFF(SECOND, p.createdate, TIMESTAMP '{now}') AS age_seconds\n"
          'FROM payment p\n'
          'LEFT JOIN subaccount s ON s.id = p.subaccount\n'
          'LEFT JOIN paymethod m ON m.id = p.paymethod\n'
          'WHERE p.status = %d'
          " AND p.createdate <= TIMESTAMP '{now}' - INTERVAL {hours} HOUR\n"
          'ORDER BY p.createdate, p.id' % PAYMENT_IN_PAY,
          {'id': 'int', 'subaccount': 'int', 'account': 'int', 'paymethod': 'int', 'amount': 'decimal',
           'createdate': 'datetime', 'age_seconds': 'int'}),
    Query('itemevent_backlog', 'How many item events wait to be applied, and the age of the oldest.', (), {},
          'SELECT COUNT(*) AS count, MIN(ie.createdate) AS oldest, '
          "TIMESTAMPDIFF(SECOND, MIN(ie.createdate), TIMESTAMP '{now}') AS oldest_age_seconds\n"
          'FROM itemevent ie',
          {'count': 'int', 'oldest': 'datetime', 'oldest_age_seconds': 'int'}),
    Query('items', 'Status and expiry date of the items with the given ids.', ('ids',), {},
          'SELECT i.id, i.status, i.expiredate, i.remoteid\n'
          'FROM item i\n'
          'WHERE i.id IN ({ids})\nORDER BY i.id',
          {'id': 'int', 'status': 'int', 'expiredate': 'date', 'remoteid': 'int'}),
    # Runbook 003, diagnostics step 1: the balance, the credit limit and the last top-up of the
    # account that owns each item, one row per subaccount (currency).
    Query('item_accounts', 'Balance, credit limit and last top-up of the accounts owning the given items.',
          ('ids',), {},
          'SELECT i.id AS item, i.account, a.name AS account_name, s.id AS subaccount, s.currency, s.balance, '
          's.creditlimit, lp.createdate AS last_topup, lp.amount AS last_topup_amount\n'
          'FROM item i\n'
          'LEFT JOIN account a ON a.id = i.account\n'
          'LEFT JOIN subaccount s ON s.account = i.account\n'
          'LEFT JOIN payment lp ON lp.id = (SELECT p.id FROM payment p WHERE p.subaccount = s.id AND p.status = %d '
          'ORDER BY p.createdate DESC, p.id DESC LIMIT 1)\n'
          'WHERE i.id IN ({ids})\nORDER BY i.id, s.id' % PAYMENT_PAID,
          {'item': 'int', 'account': 'int', 'subaccount': 'int', 'currency': 'int', 'balance': 'decimal',
           'creditlimit': 'decimal', 'last_topup': 'datetime', 'last_topup_amount': 'decimal'}),
))

NAMES = tuple(QUERIES)

Planned = namedtuple('Planned', 'label query params')


# ---- validation -------------------------------------------------------------------------------

def _describe(value):
    return repr(value) if isinstance(value, str) else '%r (%s)' % (value, type(value).__name__)


def positive_id(value, option):
    """VALUE as an int when it is a plain positive integer (``310598`` or ``'310598'``); else QueryError."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10 ** 18:
        return value
    if isinstance(value, str) and _ID_RE.match(value):
        return int(value)
    raise QueryError('%s must be a plain positive integer id such as 310598, got %s' % (option, _describe(value)))


def id_list(value, option):
    """A list of ids (or ``'1,2,3'``) -> list of ints, duplicates dropped, order kept."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(',')]
    if not isinstance(value, (list, tuple)) or not value:
        raise QueryError('%s must be a non-empty list of plain positive integer ids, got %s'
                         % (option, _describe(value)))
    if len(value) > MAX_IDS:
        raise QueryError('%s has %d ids; ask for at most %d at a time' % (option, len(value), MAX_IDS))
    ids = []
    for position, element in enumerate(value):
        number = positive_id(element, '%s[%d]' % (option, position))
        if number not in ids:
            ids.append(number)
    return ids


def hours(value, option):
    """A whole number of hours from 0 up to ten years."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _COUNT_RE.match(value):
        number = int(value)
    else:
        number = -1
    if not 0 <= number <= MAX_HOURS:
        raise QueryError('%s must be a whole number of hours from 0 to %d, got %s'
                         % (option, MAX_HOURS, _describe(value)))
    return number


VALIDATORS = {'item': positive_id, 'account': positive_id, 'ids': id_list, 'hours': hours}


def plan(entries, defaults=None, option='queries'):
    """ENTRIES (names, or dicts ``{name, label, item|account|ids|hours}``) -> list of Planned.

    DEFAULTS holds the module-level ``item``, ``account``, ``ids`` and ``hours`` (None = not
    given), used by every entry that does not give its own.  Everything is checked here, before
    any SQL is built: a bad entry raises QueryError naming ``queries[N]`` and the parameter.
    """
    if not entries:
        raise QueryError('%s is empty: name at least one of %s' % (option, ', '.join(NAMES)))
    planned = []
    labels = set()
    for position, entry in enumerate(entries):
        where = '%s[%d]' % (option, position)
        if isinstance(entry, str):
            entry = {'name': entry}
        if not isinstance(entry, dict):
            raise QueryError('%s must be a query name or a dict with name:, got %s' % (where, _describe(entry)))
        unknown = sorted(set(entry) - set(PARAMETERS) - {'name', 'label'})
        if unknown:
            raise QueryError('%s: unknown key %s; an entry takes name, label, %s'
                             % (where, ', '.join(unknown), ', '.join(PARAMETERS)))
        name = entry.get('name')
        if name is None:
            raise QueryError('%s has no name: give one of %s' % (where, ', '.join(NAMES)))
        query = QUERIES.get(name) if isinstance(name, str) else None
        if query is None:
            raise QueryError('%s: %s is not a known query; known: %s' % (where, _describe(name), ', '.join(NAMES)))
        label = entry.get('label', name)
        if not isinstance(label, str) or not label:
            raise QueryError('%s: label must be a non-empty string, got %s' % (where, _describe(label)))
        if label in labels:
            raise QueryError('%s: %s is asked for twice; give the second one a label: to keep both results'
                             % (where, label))
        labels.add(label)
        planned.append(Planned(label, query, _params(query, entry, defaults or {}, where)))
    return planned


def _params(query, entry, defaults, where):
    params = {}
    for key in PARAMETERS:
        if key in entry and key not in query.needs and key not in query.takes:
            raise QueryError('%s (%s) takes no %s' % (where, query.name, key))
    for key in query.needs + tuple(query.takes):
        if entry.get(key) is not None:
            value, option = entry[key], '%s.%s' % (where, key)
        elif defaults.get(key) is not None:
            value, option = defaults[key], key
        elif key in query.takes:
            value, option = query.takes[key], key
        else:
            raise QueryError('%s (%s) needs %s: give it in the entry ({name: %s, %s: ...}) or as the module option %s'
                             % (where, query.name, key, query.name, key, key))
        params[key] = VALIDATORS[key](value, option)
    return params


# ---- SQL --------------------------------------------------------------------------------------

def build_sql(planned, now):
    """The SQL of one Planned query; NOW (a datetime, the host's clock) is what ages are measured from."""
    values = {'now': now.strftime('%Y-%m-%d %H:%M:%S')}
    for key, value in planned.params.items():
        # Validation made these ints; checking again here keeps the guarantee local to the SQL.
        numbers = value if isinstance(value, list) else [value]
        if not numbers or not all(isinstance(number, int) and not isinstance(number, bool) for number in numbers):
            raise QueryError('internal: %s of %s is not validated' % (key, planned.label))
        values[key] = ', '.join('%d' % number for number in numbers)
    return planned.query.sql.format(**values)


# ---- results ----------------------------------------------------------------------------------

def mask_rows(query, rows, reveal=False):
    """ROWS with secret values masked: ``item_params`` values whose intname says key/pass/secret/token."""
    if reveal or query.name != 'item_params':
        return rows
    return [dict(row, value=MASK) if looks_secret(row.get('intname')) and row.get('value') else row
            for row in rows]
