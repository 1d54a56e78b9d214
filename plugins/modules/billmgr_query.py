#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: billmgr_query
short_description: Run the runbooks' named look-ups in the platform database
version_added: 0.1.0
description:
  - Runs named, fixed, read-only SELECTs against the C(billmgr) database with the C(mariadb) or
    C(mysql) command-line client on the managed host, and returns their rows typed.
  - Connects with the platform's own settings C(DBHost), C(DBUser), C(DBPassword) and C(DBName) from
    C(etc/billmgr.conf) and C(etc/billmgr.conf.d/*.conf) (later files win); O(db_host), O(db_user),
    O(db_password) and O(db_name) override them.
  - The password reaches the client through a temporary option file readable only by its owner and
    removed after the call, never on a command line; it is masked in every message.
  - "The queries: V(referral) (O(account): the account's C(account2project) rows as the table holds
    them, as the runbook's C(SELECT *)), V(item_processing_module) (O(item): the processing module
    serving it), V(item_params) (O(item): its C(itemparam) rows as the table holds them),
    V(active_providers) (projects that are on), V(item_provider) (O(item): tariff plan and provider
    of the plan, an add-on plan's through its parent plan), V(promised_payments) (C(promisepayment)
    as the table holds it), V(credit_limits) (subaccounts with C(creditlimit > 0)),
    V(stuck_payments) (payments in status 2 older than O(hours), one row each),
    V(payments_in_pay) (payments in status 2 per payment method, with its module, the oldest and
    how many are older than O(hours)), V(itemevent_backlog) (count of C(itemevent) rows and age of
    the oldest), V(items) (O(ids): status and expiry date), V(reselling_modules) (processing
    modules of the BILLmanager-integration kind, C(pmbillmgr)), V(item_accounts) (O(ids): balance,
    credit limit and last paid top-up of the accounts owning the items, one row per subaccount)."
  - The schema of a real installation is known only in part. All queries go to the server in one
    client call, which first reads from C(information_schema) which tables and columns exist; each
    query then selects only the columns that exist. A query that lacks a column it cannot do
    without is not run and is listed in RV(unsupported) with the missing names; the others still
    answer. Columns left out are listed in RV(left_out). See the README for what each query needs.
  - The C(itemcryptedparam) table (encrypted item parameters) is never read.
  - Ids are checked to be plain positive integers before any SQL is built; anything else, such as
    V(1; DROP TABLE item), is refused with a message naming the option.
  - Values of item parameters whose name says key, pass, secret or token (C(lickey) among them), and
    columns whose name says so, are replaced with C(********) unless O(reveal_secrets=true).
  - Never changes the database.
options:
  queries:
    description:
      - The look-ups to run, in order. Each element is a query name, or a dict with C(name) and the
        query's parameters C(item), C(account), C(ids) or C(hours), and optionally C(label), the key
        of its rows in RV(rows) (needed to run one query twice).
      - A parameter an element does not give is taken from the module option of the same name.
    type: list
    elements: raw
    required: true
  item:
    description:
      - Item id for V(item_params), V(item_processing_module) and V(item_provider), unless the
        element gives its own.
      - A plain positive integer.
    type: raw
  account:
    description:
      - Account id for V(referral), unless the element gives its own. A plain positive integer.
    type: raw
  ids:
    description:
      - Item ids for V(items) and V(item_accounts), unless the element gives its own. At most 1000.
    type: list
    elements: raw
  hours:
    description:
      - For V(stuck_payments), how long a payment must have been in status 2 (in pay) to be listed,
        and for V(payments_in_pay), to be counted in C(over_hours), unless the element gives its own.
        A whole number from 0; 1 when given nowhere.
    type: raw
  db_host:
    description:
      - Database server instead of C(DBHost); C(host), C(host:port), or the path of a socket.
    type: str
  db_user:
    description:
      - Database user instead of C(DBUser).
    type: str
  db_password:
    description:
      - Database password instead of C(DBPassword).
    type: str
  db_name:
    description:
      - Database name instead of C(DBName).
    type: str
  reveal_secrets:
    description:
      - Return secret item parameters (C(lickey), passwords, tokens) as they are.
      - "Needs C(no_log: true) on the task, so that Ansible never prints the result at any verbosity;
        the registered result keeps the values for later tasks. Without it the module fails before
        connecting. (A module cannot mark its own result no_log; the task can.)"
    type: bool
    default: false
  timeout:
    description:
      - Seconds the database call may take before the client is killed and the task fails.
    type: float
    default: 60
extends_documentation_fragment:
  - billmgr.ops._common.mgr_root
  - billmgr.ops._attributes
  - billmgr.ops._attributes.read_only
requirements:
  - The C(mariadb) or C(mysql) command-line client on the managed host.
notes:
  - Ages (V(stuck_payments) O(hours), C(age_seconds), C(oldest_age_seconds)) are measured against the
    managed host's clock, as the platform writes its timestamps with it.
seealso:
  - module: billmgr.ops.mgrctl
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: What the runbook asks about one service
  billmgr.ops.billmgr_query:
    queries: [item_processing_module, item_provider, item_params]
    item: 310598
  register: svc

- name: Money questions of the whole install
  billmgr.ops.billmgr_query:
    queries:
      - promised_payments
      - credit_limits
      - {name: payments_in_pay, hours: 6}
      - itemevent_backlog
  register: money

- name: Fail when payments hang in status 2 for more than 6 hours
  ansible.builtin.assert:
    that: money.rows.payments_in_pay | default([]) | map(attribute='over_hours') | map('default', 0, true) | sum == 0
    fail_msg: "{{ money.rows.payments_in_pay }}: run paymethod.checkpay if the payment systems credited them"

- name: Two items side by side, and the referral attachment of an account
  billmgr.ops.billmgr_query:
    queries:
      - {name: item_params, item: 310598}
      - {name: item_params, item: 310599, label: second_params}
      - {name: referral, account: 42}
      - {name: items, ids: [310598, 310599, 310600]}

- name: Read a license key for a later task without ever printing it
  billmgr.ops.billmgr_query:
    queries: [item_params]
    item: 310601
    reveal_secrets: true
  no_log: true
  register: lic

- name: Ask another database server than the config names
  billmgr.ops.billmgr_query:
    queries: [active_providers]
    db_host: db.example.net:3306
    db_user: readonly
    db_password: "{{ vault_billmgr_ro_password }}"
'''

RETURN = r'''
rows:
  description:
    - The rows of each query, keyed by its name (or C(label)), in the order the query sorts them.
    - Integers are ints, money amounts strings as the server printed them (C("390.00")), dates
      C(YYYY-MM-DD), date-times C(YYYY-MM-DDTHH:MM:SS), NULL null.
    - On failure, the queries that did answer.
  returned: always
  type: dict
  sample:
    item_params:
      - {item: 300014, intname: licid, value: '4417305'}
      - {item: 300014, intname: lickey, value: '********'}
    stuck_payments:
      - {id: 5031, subaccount: 2007, account: 7, paymethod: 2, paymethod_name: PayMaster,
         paymethod_module: pmpaymaster, amount: '1520', createdate: '2025-03-02T22:14:09', age_seconds: 40112}
    itemevent_backlog:
      - {count: 12, oldest: '2025-03-03T08:01:00', oldest_age_seconds: 5160}
sql:
  description:
    - The SQL each query ran, keyed like RV(rows), as built for the columns that exist; before the
      database answered (or when it did not), the SQL for a schema that has every column.
  returned: always
  type: dict
  sample: {items: "SELECT i.id AS id, i.status AS status, i.expiredate AS expiredate, i.remoteid AS remoteid\nFROM item i\nWHERE i.id IN (1, 2)\nORDER BY i.id"}
errors:
  description: Queries the server refused, keyed like RV(rows), with its message; empty when all answered.
  returned: always
  type: dict
  sample: {}
unsupported:
  description:
    - Queries not run because this database lacks a table or column they cannot do without, keyed
      like RV(rows), with the missing names (C(table) or C(table.column)).
  returned: always
  type: dict
  sample: {promised_payments: [promisepayment]}
left_out:
  description:
    - Columns a query would select, or use to join or sort, that this database lacks, keyed like
      RV(rows); the query ran without them.
  returned: always
  type: dict
  sample: {stuck_payments: [payment.amount, payment.externalid]}
db:
  description: Where the queries went; never the password.
  returned: always
  type: dict
  contains:
    host:
      description: C(DBHost) as used (host, host:port or socket path).
      type: str
      sample: localhost
    name:
      description: Database name.
      type: str
      sample: billmgr
    user:
      description: Database user.
      type: str
      sample: billmgr
    config_files:
      description: The config files read, in the order they apply.
      type: list
      elements: str
      sample: [/usr/local/mgr5/etc/billmgr.conf, /usr/local/mgr5/etc/billmgr.conf.d/db.conf]
'''

from datetime import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import MysqlError, failure_message
from ansible_collections.billmgr.ops.plugins.module_utils._database.platformdb import platform_client
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import MAX_TIMEOUT
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import DEFAULT_MGR_ROOT, MgrLayout, OptionError, check_options
from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import (
    PARAMETERS,
    QueryError,
    build_sql,
    mask_rows,
    plan,
)
from ansible_collections.billmgr.ops.plugins.module_utils._database.querybatch import run_batch

_OVERRIDES = (('db_host', 'DBHost'), ('db_user', 'DBUser'), ('db_password', 'DBPassword'), ('db_name', 'DBName'))


def connection_message(error, settings, layout):
    """What to tell an operator when the database was not usable at all."""
    return failure_message(error, settings, layout.manager_conf_dir + '/*.conf', layout.manager)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mgr_root=dict(type='path', default=DEFAULT_MGR_ROOT),
            queries=dict(type='list', elements='raw', required=True),
            item=dict(type='raw'),
            account=dict(type='raw'),
            ids=dict(type='list', elements='raw'),
            hours=dict(type='raw'),
            db_host=dict(type='str'),
            db_user=dict(type='str'),
            db_password=dict(type='str', no_log=True),
            db_name=dict(type='str'),
            reveal_secrets=dict(type='bool', default=False, no_log=False),
            timeout=dict(type='float', default=60),
        ),
        supports_check_mode=True,
    )
    params = module.params
    layout = MgrLayout(params['mgr_root'])
    result = {'changed': False, 'rows': {}, 'sql': {}, 'errors': {}, 'unsupported': {}, 'left_out': {}, 'db': {}}
    try:
        check_options(params, numbers=(('timeout', 0, MAX_TIMEOUT, True),), lines=('db_host', 'db_user', 'db_password', 'db_name'))
    except OptionError as exc:
        module.fail_json(msg=str(exc), **result)
    # Ansible drops a module's own request to hide its result; only the task's no_log hides it.
    if params['reveal_secrets'] and not module.no_log:
        module.fail_json(msg='reveal_secrets: true returns license keys and passwords as they are: set '
                             'no_log: true on the task, so that Ansible never prints them (the registered '
                             'result keeps them)', **result)

    # Every entry is checked before the database is touched, so a bad id costs no connection.
    try:
        planned = plan(params['queries'], dict((key, params[key]) for key in PARAMETERS))
    except QueryError as exc:
        module.fail_json(msg=str(exc), **result)
    now = datetime.now()
    result['sql'] = dict((entry.label, build_sql(entry, now)) for entry in planned)

    client = platform_client(module, params['mgr_root'], params['timeout'], result,
                             overrides=dict((key, params[option]) for option, key in _OVERRIDES))
    settings = client.settings

    try:
        found = run_batch(client, planned, now)
    except MysqlError as exc:
        module.fail_json(msg=connection_message(exc, settings, layout), **result)
    for entry, outcome in zip(planned, found['queries']):
        label = entry.label
        if outcome['sql']:
            result['sql'][label] = outcome['sql']
        if outcome['left_out']:
            result['left_out'][label] = outcome['left_out']
        if outcome['missing']:
            result['unsupported'][label] = outcome['missing']
        elif 'error' in outcome:
            result['errors'][label] = outcome['error']
        else:
            result['rows'][label] = mask_rows(entry.query, outcome['rows'], params['reveal_secrets'])
    for label, names in result['unsupported'].items():
        module.warn('%s was not run: this database has no %s' % (label, ', '.join(names)))
    if result['errors']:
        module.fail_json(msg='the database refused %d of %d queries: %s'
                         % (len(result['errors']), len(planned),
                            '; '.join('%s: %s' % pair for pair in result['errors'].items())), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
