# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbooks' look-ups in the ``billmgr`` database, as SQL that bends to the schema it meets.

A query is chosen by name; what varies (an item or account id, a list of ids, an age in hours) is
validated into plain Python ints before any SQL text exists, and only those ints (and the host's
clock, formatted here) are put into the SQL.  Nothing an operator types reaches the SQL as text,
so ``1; DROP TABLE item`` is refused with a message naming the option, not quoted.

The schema of a real installation is known only in part, so a query names the columns it cannot do
without and those it selects only where they exist; ``querybatch`` learns which exist from
``information_schema`` in the same client call and builds each query from that, on the server.

Ages are measured against the managed host's clock, as the platform writes its timestamps with it.
Stdlib only.
"""

from __future__ import annotations

import re
from collections import namedtuple

from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import MASK, looks_secret

PAYMENT_IN_PAY = 2
PAYMENT_PAID = 4
# The processing module of the BILLmanager-integration kind (runbooks 001 and 002: the pmbillmgr handler).
RESELLING_MODULE = 'pmbillmgr'
# Item status 4: deleted (runbook 002).
ITEM_DELETED = 4
DEFAULT_HOURS = 1
MAX_HOURS = 24 * 366 * 10
MAX_IDS = 1000
PARAMETERS = ('item', 'account', 'ids', 'hours')
_ID_RE = re.compile(r'^[1-9][0-9]{0,17}$')
_COUNT_RE = re.compile(r'^(?:0|[1-9][0-9]{0,8})$')


class QueryError(ValueError):
    """A query that must not be run: unknown name, missing or malformed parameter."""


# ---- what a query selects, and what it needs ---------------------------------------------------
#
# The names of the real schema are known only from the runbooks and from public code (see the
# README); a query therefore says which columns it cannot do without (REQUIRED: the query is
# reported unsupported when one is missing) and, for every other part, which columns that part
# uses: a part whose columns are missing is left out, the rest of the query still runs.  A name
# without a dot stands for the table itself.

class Part(tuple):
    """One piece of SQL text (a selected column, a join, an ORDER BY term) with its alternatives.

    ``Part(alias, (text, uses), (text, uses), ...)``: the first alternative whose USES all exist
    is taken; none: the part is left out.  ALIAS names a selected column (``text AS alias``).
    """

    def __new__(cls, alias, *choices):
        return super(Part, cls).__new__(cls, (alias, tuple((text, tuple(uses)) for text, uses in choices)))

    @property
    def alias(self):
        return self[0]

    @property
    def choices(self):
        return self[1]

    def uses(self):
        """Every name any alternative uses."""
        return sorted(set(name for _text, uses in self.choices for name in uses))


def col(alias, text, *uses):
    """A selected column with one form."""
    return Part(alias, (text, uses))


def part(text, *uses):
    """A join or ORDER BY term with one form."""
    return Part(None, (text, uses))


class Query:
    """A named look-up.

    NEEDS: parameters that must be given; TAKES: optional ones with their defaults.  Either STAR
    (a table: ``SELECT * FROM table``, as the runbook itself writes it, typed from the schema) or
    BASE (``table alias``) with COLUMNS, JOINS, GROUP and ORDER parts.  WHERE is fixed text over
    REQUIRED columns; TYPES declares how the columns of a BASE query are typed.
    """

    def __init__(self, name, description, needs, takes, sql=None, types=None, star=None, base=None,
                 required=(), columns=(), joins=(), where='', group='', order=()):
        self.name = name
        self.description = description
        self.needs = tuple(needs)
        self.takes = dict(takes)
        self.types = dict(types or {})
        self.star = star
        self.base = base
        self.required = tuple(required)
        self.columns = tuple(columns)
        self.joins = tuple(joins)
        self.where = where
        self.group = group
        self.order = tuple(order)
        # A query given as fixed SQL text (``sql``) runs as it is, whatever the schema.
        self.sql = sql

    @property
    def table(self):
        return self.star or (self.base.split()[0] if self.base else None)

    def parts(self):
        return self.columns + self.joins + self.order

    def tables(self):
        """Every table the query may touch (what information_schema is asked about)."""
        names = set([self.table] if self.table else [])
        for name in self.required + tuple(n for p in self.parts() for n in p.uses()):
            names.add(name.split('.')[0])
        return sorted(names)

    def optional_names(self):
        return sorted(set(name for p in self.parts() for name in p.uses()) - set(self.required))


PAYMETHOD_JOIN = part('LEFT JOIN paymethod m ON m.id = p.paymethod', 'paymethod.id', 'payment.paymethod')
_PM = ('paymethod.id', 'payment.paymethod')
_AGE = "TIMESTAMPDIFF(SECOND, %s, TIMESTAMP '{now}')"

QUERIES = dict((query.name, query) for query in (
    Query('referral', "The referral attachment of an account, as the runbook shows it (account2project's row).",
          ('account',), {}, star='account2project', required=('account2project.account',),
          where='account = {account}', order=(part('project', 'account2project.project'),)),
    Query('item_processing_module', 'The processing module that serves an item.', ('item',), {},
          base='item i', required=('item.id', 'item.processingmodule'),
          columns=(col('item', 'i.id'), col('processingmodule', 'i.processingmodule'),
                   col('processingmodule_name', 'pm.name', 'processingmodule.id', 'processingmodule.name'),
                   col('module', 'pm.module', 'processingmodule.id', 'processingmodule.module'),
                   col('active', 'pm.active', 'processingmodule.id', 'processingmodule.active')),
          joins=(part('LEFT JOIN processingmodule pm ON pm.id = i.processingmodule', 'processingmodule.id'),),
          where='i.id = {item}', types={'item': 'int', 'processingmodule': 'int'}),
    Query('item_params', 'The parameters of an item (license details among them); secrets masked.', ('item',), {},
          star='itemparam', required=('itemparam.item',), where='item = {item}',
          order=(part('intname', 'itemparam.intname'), part('value', 'itemparam.value'))),
    Query('active_providers', 'The providers (projects) that are switched on.', (), {},
          base='project pr', required=('project.id', 'project.active'),
          columns=(col('id', 'pr.id'), col('name', 'pr.name', 'project.name'), col('active', 'pr.active')),
          where="pr.active = 'on'", order=(part('pr.id'),), types={'id': 'int'}),
    Query('item_provider', "The provider of an item's tariff plan (an add-on plan's through its parent plan).",
          ('item',), {}, base='item i',
          required=('item.id', 'item.pricelist', 'pricelist.id', 'pricelist.project'),
          columns=(col('item', 'i.id'), col('pricelist', 'i.pricelist'),
                   col('pricelist_intname', 'pl.intname', 'pricelist.intname'),
                   Part('project', ('COALESCE(NULLIF(pl.project, 0), ppl.project)', ('pricelist.parent',)),
                        ('pl.project', ())),
                   col('project_name', 'pr.name', 'project.id', 'project.name'),
                   col('project_active', 'pr.active', 'project.id', 'project.active')),
          joins=(part('LEFT JOIN pricelist pl ON pl.id = i.pricelist'),
                 part('LEFT JOIN pricelist ppl ON ppl.id = pl.parent', 'pricelist.parent'),
                 Part(None, ('LEFT JOIN project pr ON pr.id = COALESCE(NULLIF(pl.project, 0), ppl.project)',
                             ('project.id', 'pricelist.parent')),
                      ('LEFT JOIN project pr ON pr.id = pl.project', ('project.id',)))),
          where='i.id = {item}', types={'item': 'int', 'pricelist': 'int', 'project': 'int'}),
    Query('promised_payments', 'Every promised payment, as the runbook shows them (promisepayment as it is).',
          (), {}, star='promisepayment', required=('promisepayment',), order=(part('id', 'promisepayment.id'),)),
    Query('credit_limits', 'Accounts whose subaccounts have a credit limit above zero.', (), {},
          base='subaccount s', required=('subaccount.account', 'subaccount.creditlimit'),
          columns=(col('account', 's.account'), col('account_name', 'a.name', 'account.id', 'account.name'),
                   col('subaccount', 's.id', 'subaccount.id'), col('currency', 's.currency', 'subaccount.currency'),
                   col('balance', 's.balance', 'subaccount.balance'), col('creditlimit', 's.creditlimit')),
          joins=(part('LEFT JOIN account a ON a.id = s.account', 'account.id'),),
          where='s.creditlimit > 0', order=(part('s.account'), part('s.id', 'subaccount.id')),
          types={'account': 'int', 'subaccount': 'int', 'currency': 'int', 'balance': 'decimal',
                 'creditlimit': 'decimal'}),
    Query('stuck_payments', 'Payments in status 2 (in pay) created more than O(hours) ago, one row each.', (),
          {'hours': DEFAULT_HOURS}, base='payment p', required=('payment.id', 'payment.status', 'payment.createdate'),
          columns=(col('id', 'p.id'), col('number', 'p.number', 'payment.number'),
                   col('externalid', 'p.externalid', 'payment.externalid'),
                   col('subaccount', 'p.subaccount', 'payment.subaccount'),
                   col('account', 's.account', 'payment.subaccount', 'subaccount.id', 'subaccount.account'),
                   col('paymethod', 'p.paymethod', 'payment.paymethod'),
                   col('paymethod_name', 'm.name', 'paymethod.name', *_PM),
                   col('paymethod_module', 'm.module', 'paymethod.module', *_PM),
                   Part('amount', ('p.paymethodamount', ('payment.paymethodamount',)),
                        ('p.amount', ('payment.amount',))),
                   col('createdate', 'p.createdate'), col('age_seconds', _AGE % 'p.createdate')),
          joins=(part('LEFT JOIN subaccount s ON s.id = p.subaccount', 'payment.subaccount', 'subaccount.id'),
                 PAYMETHOD_JOIN),
          where="p.status = %d AND p.createdate <= TIMESTAMP '{now}' - INTERVAL {hours} HOUR" % PAYMENT_IN_PAY,
          order=(part('p.createdate'), part('p.id')),
          types={'id': 'int', 'subaccount': 'int', 'account': 'int', 'paymethod': 'int', 'amount': 'decimal',
                 'createdate': 'datetime', 'age_seconds': 'int'}),
    Query('payments_in_pay', 'Payments in status 2 (in pay) per payment method: how many, the oldest, and how '
          'many are older than O(hours).', (), {'hours': DEFAULT_HOURS},
          base='payment p', required=('payment.status', 'payment.paymethod'),
          columns=(col('paymethod', 'p.paymethod'),
                   col('paymethod_name', 'MAX(m.name)', 'paymethod.name', *_PM),
                   col('paymethod_module', 'MAX(m.module)', 'paymethod.module', *_PM),
                   col('count', 'COUNT(*)'),
                   col('oldest', 'MIN(p.createdate)', 'payment.createdate'),
                   col('oldest_age_seconds', _AGE % 'MIN(p.createdate)', 'payment.createdate'),
                   col('over_hours', "SUM(p.createdate <= TIMESTAMP '{now}' - INTERVAL {hours} HOUR)",
                       'payment.createdate')),
          joins=(PAYMETHOD_JOIN,), where='p.status = %d' % PAYMENT_IN_PAY, group='p.paymethod',
          order=(part('p.paymethod'),),
          types={'paymethod': 'int', 'count': 'int', 'oldest': 'datetime', 'oldest_age_seconds': 'int',
                 'over_hours': 'int'}),
    Query('itemevent_backlog', 'How many item events wait to be applied, and the age of the oldest.', (), {},
          base='itemevent ie', required=('itemevent',),
          columns=(col('count', 'COUNT(*)'), col('oldest', 'MIN(ie.createdate)', 'itemevent.createdate'),
                   col('oldest_age_seconds', _AGE % 'MIN(ie.createdate)', 'itemevent.createdate')),
          types={'count': 'int', 'oldest': 'datetime', 'oldest_age_seconds': 'int'}),
    Query('items', 'Status and expiry date of the items with the given ids.', ('ids',), {},
          base='item i', required=('item.id',),
          columns=(col('id', 'i.id'), col('status', 'i.status', 'item.status'),
                   col('expiredate', 'i.expiredate', 'item.expiredate'),
                   col('remoteid', 'i.remoteid', 'item.remoteid')),
          where='i.id IN ({ids})', order=(part('i.id'),),
          types={'id': 'int', 'status': 'int', 'expiredate': 'date', 'remoteid': 'int'}),
    Query('reselling_modules', 'Processing modules of the BILLmanager-integration kind (pmbillmgr): whether this '
          'billing resells, and the items each serves.', (), {},
          base='processingmodule pm', required=('processingmodule.id', 'processingmodule.module'),
          columns=(col('id', 'pm.id'), col('name', 'pm.name', 'processingmodule.name'), col('module', 'pm.module'),
                   col('active', 'pm.active', 'processingmodule.active'),
                   col('items', '(SELECT COUNT(*) FROM item i WHERE i.processingmodule = pm.id AND i.status <> %d)' % ITEM_DELETED,
                       'item.processingmodule', 'item.status')),
          where="pm.module LIKE '%s%%'" % RESELLING_MODULE, order=(part('pm.id'),),
          types={'id': 'int', 'items': 'int'}),
    # Runbook 003, diagnostics step 1: the balance, the credit limit and the last top-up of the
    # account that owns each item, one row per subaccount (currency).
    Query('item_accounts', 'Balance, credit limit and last top-up of the accounts owning the given items.',
          ('ids',), {}, base='item i', required=('item.id', 'item.account'),
          columns=(col('item', 'i.id'), col('account', 'i.account'),
                   col('account_name', 'a.name', 'account.id', 'account.name'),
                   col('subaccount', 's.id', 'subaccount.id', 'subaccount.account'),
                   col('currency', 's.currency', 'subaccount.account', 'subaccount.currency'),
                   col('balance', 's.balance', 'subaccount.account', 'subaccount.balance'),
                   col('creditlimit', 's.creditlimit', 'subaccount.account', 'subaccount.creditlimit'),
                   col('last_topup', '(SELECT MAX(p.createdate) FROM payment p WHERE p.subaccount = s.id '
                       'AND p.status = %d)' % PAYMENT_PAID, 'subaccount.id', 'subaccount.account',
                       'payment.createdate', 'payment.subaccount', 'payment.status'),
                   Part('last_topup_amount', *[
                        ('(SELECT p.%s FROM payment p WHERE p.subaccount = s.id AND p.status = %d '
                         'ORDER BY p.createdate DESC, p.id DESC LIMIT 1)' % (column, PAYMENT_PAID),
                         ('subaccount.id', 'subaccount.account', 'payment.id', 'payment.createdate',
                          'payment.subaccount', 'payment.status', 'payment.' + column))
                        for column in ('amount', 'subaccountamount')])),
          joins=(part('LEFT JOIN account a ON a.id = i.account', 'account.id'),
                 part('LEFT JOIN subaccount s ON s.account = i.account', 'subaccount.account')),
          where='i.id IN ({ids})', order=(part('i.id'), part('s.id', 'subaccount.id', 'subaccount.account')),
          types={'item': 'int', 'account': 'int', 'subaccount': 'int', 'currency': 'int', 'balance': 'decimal',
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


# ---- SQL ----------------------------------------------------------------------------------------

def values_of(planned, now):
    """The placeholder values of one Planned query: its validated ints and NOW (the host's clock)."""
    values = {'now': now.strftime('%Y-%m-%d %H:%M:%S')}
    for key, value in planned.params.items():
        # Validation made these ints; checking again here keeps the guarantee local to the SQL.
        numbers = value if isinstance(value, list) else [value]
        if not numbers or not all(isinstance(number, int) and not isinstance(number, bool) for number in numbers):
            raise QueryError('internal: %s of %s is not validated' % (key, planned.label))
        values[key] = ', '.join('%d' % number for number in numbers)
    return values


def exists(name, have):
    """Whether the table or ``table.column`` NAME is in HAVE (None: assume everything exists)."""
    return have is None or name in have


def chosen(part_, have):
    """The text of the first alternative of PART_ whose names all exist, or None."""
    for text, uses in part_.choices:
        if all(exists(name, have) for name in uses):
            return text
    return None


def missing(query, have):
    """The names QUERY cannot do without that HAVE lacks: non-empty means unsupported here.

    A table that is not there at all is named once, instead of each of its columns.
    """
    lacking = []
    for name in query.required:
        table = name.split('.')[0]
        shown = table if not exists(table, have) else name
        if not exists(name, have) and shown not in lacking:
            lacking.append(shown)
    return lacking


def left_out(query, have):
    """The optional names HAVE lacks: the parts that use them are left out of the query."""
    return [name for name in query.optional_names() if not exists(name, have)]


def _select_item(part_, text):
    return text if part_.alias is None else '%s AS %s' % (text, part_.alias)


def sql_parts(query):
    """The query as ``[(keyword or None, [Part])]`` in clause order; fixed text is a Part without uses."""
    if query.star:
        head = [('SELECT', [part('*')]), ('FROM', [part(query.star)])]
    else:
        head = [('SELECT', list(query.columns)), ('FROM', [part(query.base)]), (None, list(query.joins))]
    tail = [('WHERE', [part(query.where)] if query.where else []),
            ('GROUP BY', [part(query.group)] if query.group else []),
            ('ORDER BY', list(query.order))]
    return head + tail


def assemble(query, have=None, values=None):
    """The SQL of QUERY as it runs where HAVE holds the names that exist (None: every name).

    VALUES fill the placeholders (``{now}``, ``{item}`` ...); None leaves them, as a template.
    """
    if query.sql is not None:
        return query.sql if values is None else query.sql.format(**values)
    lines = []
    for keyword, parts in sql_parts(query):
        texts = [_select_item(p, text) for p, text in ((p, chosen(p, have)) for p in parts) if text is not None]
        if not texts:
            continue
        if keyword is None:
            lines.extend(texts)
        else:
            lines.append('%s %s' % (keyword, ', '.join(texts)))
    text = '\n'.join(lines)
    return text if values is None else text.format(**values)


def build_sql(planned, now, have=None):
    """The SQL of one Planned query; NOW (a datetime, the host's clock) is what ages are measured from."""
    return assemble(planned.query, have, values_of(planned, now))


# ---- results ----------------------------------------------------------------------------------

def mask_rows(query, rows, reveal=False):
    """ROWS with secrets masked: columns whose name looks secret, and ``value`` where ``intname`` does.

    A parameter row without ``intname`` (a schema without it) cannot say what its value is: masked.
    """
    if reveal:
        return rows
    masked = []
    for row in rows:
        row = dict((column, MASK if value and looks_secret(column) else value) for column, value in row.items())
        if query.name == 'item_params' and row.get('value') and \
                ('intname' not in row or looks_secret(row.get('intname'))):
            row['value'] = MASK
        masked.append(row)
    return masked
