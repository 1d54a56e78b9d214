# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift between a reselling billing and its provider billing, and the fixed SQL that corrects it.

A reseller's item sold through a provider BILLmanager (processing module ``pmbillmgr``) keeps the
provider's item id in ``item.remoteid``.  The two rows should agree on ``status`` and
``expiredate``; when they do not, the reseller's row is the one to correct, because the provider
bills the service.

Everything that reaches SQL is validated here first: ids are plain positive integers
(``queries.positive_id``), statuses known item statuses, dates ``YYYY-MM-DD``.  Only those ints
and dates, formatted here, become SQL text.  A write touches a row only while it still holds the
values it was read with (``WHERE id = N AND status = S AND expiredate <=> D``), so a row changed
meanwhile (by ``checkevent``, an operator) is left alone and reported.

Stdlib only and no Ansible imports.
"""

from __future__ import annotations

import re
from collections import namedtuple
from datetime import date

from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import QueryError, id_list, positive_id

PROVIDER_MODULE = 'pmbillmgr'
FIELDS = ('status', 'expiredate')
# Item statuses a write may set: 1 ordered, 2 active, 3 suspended, 4 deleted [doc], 5 in processing [seen].
STATUSES = {1: 'ordered', 2: 'active', 3: 'suspended', 4: 'deleted', 5: 'in processing'}
# Statements per client call: argv strings are capped at 128 KiB by the kernel.
WRITE_CHUNK = 200
READ_CHUNK = 1000
_DATE_RE = re.compile(r'^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
_STATUS_RE = re.compile(r'^[0-9]{1,3}$')

TYPES = {
    'processing_modules': {'id': 'int'},
    'imported_plans': {'id': 'int', 'project': 'int'},
    'linked_items': {'id': 'int', 'remoteid': 'int', 'status': 'int', 'expiredate': 'date',
                     'processingmodule': 'int'},
    'changed': {'changed': 'int'},
}

# One item row as compared and written: the reseller's id, the provider's id, and the two fields.
Values = namedtuple('Values', 'status expiredate')


class DriftError(QueryError):
    """Rows or values that must not reach SQL; the message names the option and the entry."""


# ---- validation -------------------------------------------------------------------------------

def _describe(value):
    return repr(value) if isinstance(value, str) else '%r (%s)' % (value, type(value).__name__)


def plain_id(value, option):
    """``queries.positive_id``, failing as a DriftError."""
    try:
        return positive_id(value, option)
    except QueryError as exc:
        raise DriftError(str(exc))


def item_status(value, option, known_only=False):
    """An item status as an int; with KNOWN_ONLY, one of STATUSES (what a write may set)."""
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _STATUS_RE.match(value):
        number = int(value)
    if number is None or not 0 <= number <= 127:
        raise DriftError('%s must be an item status (an integer such as 2), got %s' % (option, _describe(value)))
    if known_only and number not in STATUSES:
        raise DriftError('%s is %d, not an item status this collection writes (%s)'
                         % (option, number, ', '.join('%d %s' % pair for pair in sorted(STATUSES.items()))))
    return number


def iso_date(value, option):
    """``YYYY-MM-DD`` (a real date) or None for NULL; a date-time is cut to its date."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    text = value[:10] if isinstance(value, str) and len(value) > 10 and value[10] in 'T ' else value
    if isinstance(text, str) and _DATE_RE.match(text):
        try:
            return date(int(text[:4]), int(text[5:7]), int(text[8:10])).isoformat()
        except ValueError:
            pass
    raise DriftError('%s must be a date YYYY-MM-DD or null, got %s' % (option, _describe(value)))


def item_rows(entries, option, known_only=False):
    """ENTRIES (dicts with ``id``, ``status``, ``expiredate``) -> ``{id: Values}``; None -> ``{}``.

    Used for the provider's rows (``provider_items``) and for the rows a backup holds (``expect``).
    """
    if entries is None:
        return {}
    if not isinstance(entries, (list, tuple)):
        raise DriftError('%s must be a list of rows {id, status, expiredate}, got %s' % (option, _describe(entries)))
    rows = {}
    for position, entry in enumerate(entries):
        where = '%s[%d]' % (option, position)
        if not isinstance(entry, dict):
            raise DriftError('%s must be a row {id, status, expiredate}, got %s' % (where, _describe(entry)))
        missing = [key for key in ('id',) + FIELDS if key not in entry]
        if missing:
            raise DriftError('%s has no %s: a row needs id, status and expiredate' % (where, ', '.join(missing)))
        item = plain_id(entry['id'], where + '.id')
        values = Values(item_status(entry['status'], where + '.status', known_only),
                        iso_date(entry['expiredate'], where + '.expiredate'))
        if rows.get(item, values) != values:
            raise DriftError('%s: item %d is given twice with different values' % (where, item))
        rows[item] = values
    return rows


def module_id(value, option='processing_module'):
    """The processing module to restrict to, or None for "the only one there is"."""
    return None if value is None else plain_id(value, option)


# ---- reads ------------------------------------------------------------------------------------

def imported_plans_sql():
    """Tariff plans imported from a provider: ``intname`` of the form ``N-name``."""
    return ("SELECT pl.id, pl.project, pl.intname\nFROM pricelist pl\n"
            "WHERE pl.intname REGEXP '^[0-9]+-.'\nORDER BY pl.id")


def _ints(numbers):
    # Validated already; checking again keeps the guarantee next to the SQL text.
    if not numbers or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in numbers):
        raise DriftError('internal: ids for SQL must be positive ints, got %r' % (numbers,))
    return ', '.join('%d' % n for n in numbers)


def linked_items_sql(modules):
    """The reseller's items served by the processing modules MODULES, with the provider's id."""
    return ('SELECT i.id, i.remoteid, i.status, i.expiredate, i.processingmodule\nFROM item i\n'
            'WHERE i.remoteid IS NOT NULL AND i.processingmodule IN (%s)\nORDER BY i.id' % _ints(modules))


def items_sql(ids):
    """Rows of the items IDS as this module compares them."""
    return ('SELECT i.id, i.remoteid, i.status, i.expiredate, i.processingmodule\nFROM item i\n'
            'WHERE i.id IN (%s)\nORDER BY i.id' % _ints(id_list(list(ids), 'ids')))


def chunks(values, size):
    values = list(values)
    return [values[start:start + size] for start in range(0, len(values), size)]


def choose_modules(found, wanted):
    """The module ids to compare: WANTED when it is one of FOUND, else the only one FOUND.

    FOUND: rows of the named look-up ``reselling_modules`` (``queries``).  No module at all gives ``[]`` (not a reseller).
    """
    ids = [row['id'] for row in found]
    if wanted is not None:
        if wanted not in ids:
            raise DriftError('processing_module %d is not a %s processing module here; there are: %s'
                             % (wanted, PROVIDER_MODULE, _listing(found)))
        return [wanted]
    if len(ids) > 1:
        raise DriftError('this billing resells through %d provider modules (%s); name the one whose provider '
                         'is compared with processing_module' % (len(ids), _listing(found)))
    return ids


def _listing(found):
    return ', '.join('%s (%s)' % (row['id'], row.get('name')) for row in found) or 'none'


# ---- comparing --------------------------------------------------------------------------------

def compare(linked, provider):
    """``(drift, not_at_provider)`` of the reseller's LINKED rows against the PROVIDER's.

    LINKED: rows ``{id, remoteid, status, expiredate}``; PROVIDER: ``{provider id: Values}``.
    A drift entry: ``{id, remoteid, differs, reseller: {status, expiredate}, provider: {...}}``,
    ``differs`` naming the fields in FIELDS order.  NOT_AT_PROVIDER lists linked rows whose
    ``remoteid`` the provider rows do not hold: nothing to compare them with, so never "fixed".
    """
    drift, absent = [], []
    for row in linked:
        remote = provider.get(row['remoteid'])
        mine = Values(row['status'], row['expiredate'])
        if remote is None:
            absent.append({'id': row['id'], 'remoteid': row['remoteid']})
            continue
        differs = [name for name in FIELDS if getattr(mine, name) != getattr(remote, name)]
        if differs:
            drift.append({'id': row['id'], 'remoteid': row['remoteid'], 'differs': differs,
                          'reseller': dict(mine._asdict()), 'provider': dict(remote._asdict())})
    return drift, absent


def plan_fix(drift, expect=None):
    """``(changes, conflicts)``: what to write, and drifted rows left alone.

    CHANGES: ``[(id, before Values, after Values)]``.  With EXPECT (``{id: Values}``, the rows a
    backup holds), a drifted row is written only when it still holds exactly the expected values,
    so that nothing is changed that the backup does not hold; the others become CONFLICTS
    ``{id, reason, now, expected}``.
    """
    changes, conflicts = [], []
    for entry in drift:
        before = Values(**entry['reseller'])
        after = Values(**entry['provider'])
        if expect is not None:
            expected = expect.get(entry['id'])
            if expected != before:
                conflicts.append({'id': entry['id'], 'reason': 'not in the backup' if expected is None
                                  else 'changed since the backup', 'now': entry['reseller'],
                                  'expected': dict(expected._asdict()) if expected else None})
                continue
        changes.append((entry['id'], before, after))
    return changes, conflicts


# ---- writes -----------------------------------------------------------------------------------

def _date_sql(value, option):
    checked = iso_date(value, option)
    return 'NULL' if checked is None else "DATE '%s'" % checked


def update_sql(item, before, after):
    """The guarded UPDATE of one item from BEFORE to AFTER values, then its row count.

    Every value is validated again here, ints formatted with ``%d``; AFTER's status must be a
    known item status.
    """
    item = plain_id(item, 'id')
    where = 'item %d' % item
    status_from = item_status(before.status, where + ' status before')
    status_to = item_status(after.status, where + ' status', known_only=True)
    return ('UPDATE item SET status = %d, expiredate = %s\nWHERE id = %d AND status = %d AND expiredate <=> %s;\n'
            'SELECT ROW_COUNT() AS changed;'
            % (status_to, _date_sql(after.expiredate, where + ' expiredate'), item, status_from,
               _date_sql(before.expiredate, where + ' expiredate before')))


def write_sql(changes):
    """One transaction of guarded UPDATEs, a row count each, for CHANGES ``[(id, before, after)]``."""
    if not changes:
        raise DriftError('internal: nothing to write')
    body = '\n'.join(update_sql(item, before, after) for item, before, after in changes)
    return 'START TRANSACTION;\n%s\nCOMMIT;' % body


def row_text(item, values):
    """One line per row for a diff: ``item 7: status 3 (suspended), expiredate 2025-03-01``."""
    status = '%s (%s)' % (values.status, STATUSES[values.status]) if values.status in STATUSES else values.status
    return 'item %d: status %s, expiredate %s\n' % (item, status, values.expiredate or 'null')
