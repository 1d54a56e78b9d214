"""The platform functions the stand-in mgrctl knows and what each does to the database and the logs."""

import os

import labhost
from mgrout import Answer

PAY_IN_PAY, PAY_PAID = 2, 4
ITEM_ACTIVE = 2


class Function:
    def __init__(self, name, handler, params=(), changes=True):
        self.name = name
        self.handler = handler
        self.params = params  # (name, required)
        self.changes = changes  # does nothing while etc/<mgr>.DoNothing exists


def query_text(func, params):
    """`func=NAME&key=value` as the platform logs a request."""
    parts = ['func=' + func] + ['%s=%s' % (name, value.replace('%', '%25').replace('&', '%26'))
                                for name, value in params]
    return '&'.join(parts)


def whoami(_host, _params):
    return Answer.form([('name', 'root'), ('level', 'admin')])


def columns_of(host, table):
    """The columns TABLE has in this host's schema variant; empty when the table is not there."""
    rows = host.sql("SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() "
                    "AND table_name = %s;\n" % labhost.sql_string(table))
    return set(row[0] for row in rows)


def checkpay(host, _params):
    """Ask the (fake) payment gateway about every payment in pay; settle those it has as paid, only."""
    columns = columns_of(host, 'payment')
    if not {'id', 'status'} <= columns:
        host.log(host.manager, 'payment', 'INFO', 'No payments to check with the payment systems')
        return Answer.ok()
    paid_at_gateway = set(int(number) for number in host.state('gateway').get('paid', []))
    module = 'm.module' if 'paymethod' in columns and 'module' in columns_of(host, 'paymethod') else "''"
    join = ' LEFT JOIN paymethod m ON m.id = p.paymethod' if module != "''" else ''
    pending = host.sql('SELECT p.id, %s FROM payment p%s WHERE p.status = %d ORDER BY p.id;\n'
                       % (module, join, PAY_IN_PAY))
    settled = [(int(payment), name) for payment, name in pending if int(payment) in paid_at_gateway]
    if settled:
        changes = 'status = %d' % PAY_PAID
        if 'paydate' in columns:
            changes += ', paydate = %s' % labhost.sql_now()
        host.sql('UPDATE payment SET %s WHERE status = %d AND id IN (%s);\n'
                 % (changes, PAY_IN_PAY, ', '.join(str(payment) for payment, _m in settled)))
    for payment, name in pending:
        name = name if name != 'NULL' else ''
        if int(payment) not in paid_at_gateway:
            host.log(host.manager, 'payment', 'INFO', 'Payment %s: not paid at the payment system, stays in pay'
                     % payment)
            continue
        if labhost.SAFE_NAME_RE.match(name):
            # Payment modules are scripts: their lines carry `[PID]` and a zero-padded day.
            host.log(name, name, 'INFO', 'Payment %s: the payment system reports it paid' % payment,
                     key=str(os.getpid()), day='zero')
        host.log(host.manager, 'payment', 'INFO', 'Payment %s status changed: in pay -> paid (%s)' % (payment, name))
    return Answer.ok()


def checkevent(host, _params):
    columns = columns_of(host, 'itemevent')
    wanted = [name for name in ('item', 'status', 'expiredate') if name in columns]
    if 'id' not in columns:
        host.log(host.manager, 'itemevent', 'INFO', 'No item events to apply')
        return Answer.ok()
    # A schema variant may keep fewer columns (the minimal one: only id); an event applies what it has.
    events = host.sql('SELECT %s FROM itemevent ORDER BY id;\n' % ', '.join(['id'] + wanted))
    if not events:
        host.log(host.manager, 'itemevent', 'INFO', 'No item events to apply')
        return Answer.ok()
    statements = ['START TRANSACTION;']
    for event, item, status, expiredate in (_event_fields(row, wanted) for row in events):
        changes = []
        if status != 'NULL':
            changes.append('status = %d' % int(status))
        if expiredate != 'NULL':
            changes.append('expiredate = %s' % labhost.sql_string(expiredate))
        if changes and item != 'NULL':
            statements.append('UPDATE item SET %s WHERE id = %d;' % (', '.join(changes), int(item)))
    statements.append('DELETE FROM itemevent WHERE id IN (%s);' % ', '.join(str(int(row[0])) for row in events))
    statements.append('COMMIT;')
    host.sql('\n'.join(statements) + '\n')
    for event, item, status, expiredate in (_event_fields(row, wanted) for row in events):
        host.log(host.manager, 'itemevent', 'INFO', 'Event %s applied to item %s: status %s, expiredate %s'
                 % (event, item, status, expiredate))
    return Answer.ok()


def _event_fields(row, wanted):
    """``(id, item, status, expiredate)`` of an itemevent row selected as ``id, WANTED...``."""
    found = dict(zip(wanted, row[1:]))
    return row[0], found.get('item', 'NULL'), found.get('status', 'NULL'), found.get('expiredate', 'NULL')


def pricelist_sync(host, params):
    elid = params.get('elid', '')
    if not elid:
        return Answer.error('missed', 'elid', '', 'The parameter elid is required')
    if not elid.isdigit():
        return Answer.error('value', 'elid', elid, 'elid must be the id of a tariff plan')
    rows = host.sql('SELECT id FROM pricelist WHERE id = %d;\nUPDATE pricelist SET syncdate = %s WHERE id = %d;\n'
                    % (int(elid), labhost.sql_now(), int(elid)))
    if not rows:
        return Answer.error('missed', 'pricelist', elid, 'Tariff plan %s not found' % elid)
    host.log(host.manager, 'pricelist', 'INFO', 'Tariff plan %s synchronised with its provider' % elid)
    return Answer.ok()


def _maintained_items(host, params, extra_where=''):
    only = params.get('elid') or params.get('item') or ''
    # The host's date, not the database server's: the lab fakes only the host's clock.
    today = labhost.time.strftime("'%Y-%m-%d'", labhost.time.localtime())
    where = 'status = %d AND parent IS NULL%s' % (ITEM_ACTIVE, extra_where.replace('{today}', today))
    if only.isdigit():
        where += ' AND id = %d' % int(only)
    return [row[0] for row in host.sql('SELECT id FROM item WHERE %s ORDER BY id;\n' % where)]


def billmaintain(func, extra_where='', query_suffix=''):
    def handler(host, params):
        items = _maintained_items(host, params, extra_where)
        key = '%d:1' % os.getpid()
        host.log('billmaintain', 'billmaintain', 'INFO', '%s started, %d items' % (func, len(items)), key)
        for item in items:
            host.log('billmaintain', 'rpc', 'EXTINFO', "Query('func=%s&item=%s%s')" % (func, item, query_suffix),
                     key)
        host.log('billmaintain', 'billmaintain', 'INFO', '%s finished' % func, key)
        return Answer.ok()
    return handler


FUNCTIONS = {function.name: function for function in (
    Function('whoami', whoami, changes=False),
    Function('paymethod.checkpay', checkpay),
    Function('checkevent', checkevent),
    Function('pricelist.sync', pricelist_sync, params=(('elid', True),)),
    Function('service.billdaily', billmaintain('service.billdaily', query_suffix='&from=daily'),
             params=(('elid', False),)),
    Function('service.statdaily', billmaintain('service.statdaily', query_suffix='&from=daily'),
             params=(('elid', False),)),
    Function('service.autosuspend', billmaintain(
        'service.autosuspend', extra_where=' AND expiredate < {today}'), params=(('elid', False),)),
)}


def describe(func):
    if func is None:
        return Answer.elements([[('func', name)] for name in sorted(FUNCTIONS)])
    function = FUNCTIONS.get(func)
    if function is None:
        return Answer.error('missed', 'function', func, 'Function %s not found' % func)
    return Answer.elements([[('name', name), ('required', 'yes' if required else 'no')]
                            for name, required in function.params])


def run(host, func, params):
    function = FUNCTIONS.get(func)
    if function is None:
        return Answer.error('missed', 'function', func, 'Function %s not found' % func)
    if function.changes and host.maintenance():
        host.log(host.manager, 'billing', 'WARNING', 'etc/%s.DoNothing is present: %s does nothing'
                 % (host.manager, func))
        return Answer.ok()
    try:
        return function.handler(host, params)
    except labhost.DbError as exc:
        host.log(host.manager, 'db', 'ERROR', 'Query failed: %s' % exc)
        return Answer.error('mysql', host.manager, '', str(exc))
