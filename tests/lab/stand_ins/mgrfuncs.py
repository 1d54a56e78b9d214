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


def checkpay(host, _params):
    rows = host.sql(
        'START TRANSACTION;\n'
        'SELECT p.id, m.module, p.amount FROM payment p JOIN paymethod m ON m.id = p.paymethod\n'
        '  WHERE p.status = %d ORDER BY p.id FOR UPDATE;\n'
        'UPDATE payment SET status = %d, paydate = %s WHERE status = %d;\n'
        'COMMIT;\n' % (PAY_IN_PAY, PAY_PAID, labhost.sql_now(), PAY_IN_PAY))
    for payment, module, amount in rows:
        if labhost.SAFE_NAME_RE.match(module):
            # Payment modules are scripts: their lines carry `[PID]` and a zero-padded day.
            host.log(module, module, 'INFO', 'Payment %s: the payment system reports it paid, amount %s'
                     % (payment, amount), key=str(os.getpid()), day='zero')
        host.log(host.manager, 'payment', 'INFO', 'Payment %s status changed: in pay -> paid (%s)'
                 % (payment, module))
    return Answer.ok()


def checkevent(host, _params):
    events = host.sql('SELECT id, item, status, expiredate FROM itemevent ORDER BY id;\n')
    if not events:
        host.log(host.manager, 'itemevent', 'INFO', 'No item events to apply')
        return Answer.ok()
    statements = ['START TRANSACTION;']
    for event, item, status, expiredate in events:
        changes = []
        if status != 'NULL':
            changes.append('status = %d' % int(status))
        if expiredate != 'NULL':
            changes.append('expiredate = %s' % labhost.sql_string(expiredate))
        if changes:
            statements.append('UPDATE item SET %s WHERE id = %d;' % (', '.join(changes), int(item)))
    statements.append('DELETE FROM itemevent WHERE id IN (%s);' % ', '.join(str(int(row[0])) for row in events))
    statements.append('COMMIT;')
    host.sql('\n'.join(statements) + '\n')
    for event, item, status, expiredate in events:
        host.log(host.manager, 'itemevent', 'INFO', 'Event %s applied to item %s: status %s, expiredate %s'
                 % (event, item, status, expiredate))
    return Answer.ok()


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
