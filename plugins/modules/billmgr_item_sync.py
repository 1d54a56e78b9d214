#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: billmgr_item_sync
short_description: Compare a reselling BILLmanager's items with its provider's, and correct them
version_added: 0.1.0
description:
  - On a reselling BILLmanager (one that sells a provider BILLmanager's services through a
    C(pmbillmgr) processing module), reads what it takes from the provider - the provider
    modules, the imported tariff plans (C(intname) of the form C(N-name)) and the items linked to
    the provider by C(item.remoteid) - and returns them.
  - With O(provider_items), the provider's rows of those items (as M(billmgr.ops.billmgr_query)'s
    C(items) query returns them on the provider host), compares them and returns every linked item
    whose C(status) or C(expiredate) differs (RV(drift)).
  - With O(fix=true), sets the drifted items of this billing to the provider's values, in one
    transaction per 200 items. Each row is written only while it still holds the values it was
    read with, and, with O(expect), only when those are the values given there (the rows a backup
    holds); any other row is left alone and listed in RV(conflicts).
  - The SQL is fixed; ids, statuses and dates are validated before any SQL text is built.
  - Connects with the platform's own settings from C(etc/billmgr.conf) and
    C(etc/billmgr.conf.d/*.conf), as M(billmgr.ops.billmgr_query) does; the password travels in a
    temporary option file readable only by its owner, never on a command line.
options:
  provider_items:
    description:
      - The provider's rows of the linked items, each C({id, status, expiredate}) with C(id) the
        provider's item id (the reseller's C(remoteid)) and C(expiredate) C(YYYY-MM-DD) or null.
      - Linked items whose C(remoteid) is not among them are listed in RV(not_at_provider) and
        never changed.
    type: list
    elements: dict
  fix:
    description:
      - Set the drifted items to the provider's values. Needs O(provider_items).
      - Writes C(item.status) and C(item.expiredate) directly, as the runbook's correction does;
        the platform's own processing (suspending or resuming the service) is not run.
    type: bool
    default: false
  expect:
    description:
      - With O(fix=true), the reseller's rows as the caller last saw and backed them up, each
        C({id, status, expiredate}) with C(id) the reseller's item id.
      - A drifted row is written only when its current values are exactly these; so nothing is
        changed that the backup does not hold. Without O(expect) every drifted row is written.
    type: list
    elements: dict
  processing_module:
    description:
      - Id of the C(pmbillmgr) processing module whose items are compared.
      - Needed only when this billing resells through more than one provider module; by default
        the only one there is.
    type: raw
  timeout:
    description:
      - Seconds each database call may take before the client is killed and the task fails.
    type: float
    default: 60
extends_documentation_fragment:
  - billmgr.ops._common.mgr_root
  - billmgr.ops._attributes
attributes:
  check_mode:
    support: full
    details: With O(fix=true) the rows that would change are returned in RV(changes); nothing is written.
  diff_mode:
    support: full
    details: One line per changed item, before and after.
requirements:
  - The C(mariadb) or C(mysql) command-line client on the managed host.
notes:
  - A billing without a C(pmbillmgr) module is not a reseller; the module returns empty lists.
seealso:
  - module: billmgr.ops.billmgr_query
  - module: billmgr.ops.mgrctl
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: What this reseller takes from its provider
  billmgr.ops.billmgr_item_sync:
  register: reseller

- name: The provider's rows of the same items (at most 1000 ids per call)
  billmgr.ops.billmgr_query:
    queries: [items]
    ids: "{{ reseller.linked_items | map(attribute='remoteid') | list }}"
    mgr_root: "{{ hostvars[billmgr_provider_host].billmgr_mgr_root | default('/usr/local/mgr5') }}"
  delegate_to: "{{ billmgr_provider_host }}"
  register: provider

- name: Report the drift
  billmgr.ops.billmgr_item_sync:
    provider_items: "{{ provider.rows['items'] }}"
  register: drift

- name: Keep the rows about to change
  ansible.builtin.copy:
    content: "{{ __rows_before | to_nice_json }}"
    dest: "backups/{{ inventory_hostname }}-{{ now(utc=true).strftime('%Y%m%dT%H%M%SZ') }}.json"
    mode: "0600"
    force: false
  delegate_to: localhost
  vars:
    __rows_before: "{{ drift.linked_items | selectattr('id', 'in', drift.drift | map(attribute='id') | list) | list }}"
  when: drift.drift | length > 0

- name: Correct exactly the rows that were backed up
  billmgr.ops.billmgr_item_sync:
    provider_items: "{{ provider.rows['items'] }}"
    fix: true
    expect: "{{ drift.linked_items | selectattr('id', 'in', drift.drift | map(attribute='id') | list) | list }}"
  when: drift.drift | length > 0
'''

RETURN = r'''
processing_modules:
  description:
    - The C(pmbillmgr) processing modules of this billing; empty when it resells nothing, or when the
      database has no C(processingmodule) table (a warning says so).
    - C(active) only where the database has that column.
  returned: always
  type: list
  elements: dict
  sample: [{id: 5, name: Provider bm01, module: pmbillmgr, active: 'on'}]
imported_plans:
  description: Tariff plans imported from a provider (C(intname) of the form C(N-name)), by id.
  returned: always
  type: list
  elements: dict
  sample: [{id: 20, project: 1, intname: 5-vds-start}]
linked_items:
  description:
    - The items served by the compared provider module that carry a C(remoteid), as read before
      any change.
  returned: always
  type: list
  elements: dict
  sample: [{id: 700012, remoteid: 657004, status: 2, expiredate: '2026-03-01', processingmodule: 5}]
drift:
  description:
    - Linked items whose C(status) or C(expiredate) differs from the provider's row; empty without
      O(provider_items).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The reseller's item id.
      type: int
    remoteid:
      description: The provider's item id.
      type: int
    differs:
      description: The fields that differ, C(status) and/or C(expiredate).
      type: list
      elements: str
    reseller:
      description: C(status) and C(expiredate) of the reseller's row.
      type: dict
    provider:
      description: C(status) and C(expiredate) of the provider's row.
      type: dict
  sample: [{id: 700012, remoteid: 657004, differs: [status], reseller: {status: 3, expiredate: '2026-03-01'},
            provider: {status: 2, expiredate: '2026-03-01'}}]
not_at_provider:
  description: Linked items whose C(remoteid) is not among O(provider_items); never changed.
  returned: always
  type: list
  elements: dict
  sample: [{id: 700019, remoteid: 657099}]
changes:
  description:
    - With O(fix=true), each row written (or, in check mode, that would be), with its values
      C(before) and C(after).
    - C(after) is read back from the database after the write; in check mode it is the provider's values.
  returned: always
  type: list
  elements: dict
  sample: [{id: 700012, before: {status: 3, expiredate: '2026-03-01'}, after: {status: 2, expiredate: '2026-03-01'}}]
conflicts:
  description:
    - Drifted rows O(fix=true) left alone, with C(reason) - C(not in the backup) or C(changed since
      the backup) (against O(expect)), or C(changed meanwhile) (the row changed between the read and
      the write) - and the values found (C(now)).
  returned: always
  type: list
  elements: dict
  sample: []
sql:
  description: The write statements run (or, in check mode, that would run); empty without a write.
  returned: always
  type: list
  elements: str
db:
  description: Where the module connected; never the password.
  returned: always
  type: dict
  sample: {host: localhost, name: billmgr, user: billmgr, config_files: [/usr/local/mgr5/etc/billmgr.conf]}
'''

from datetime import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.billmgr.ops.plugins.module_utils._database.drift import (
    READ_CHUNK,
    TYPES,
    WRITE_CHUNK,
    DriftError,
    Values,
    choose_modules,
    chunks,
    compare,
    imported_plans_sql,
    item_rows,
    items_sql,
    linked_items_sql,
    module_id,
    plan_fix,
    row_text,
    write_sql,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import MAX_TIMEOUT
from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import (
    MysqlError,
    typed_rows,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import DEFAULT_MGR_ROOT, OptionError, check_options
from ansible_collections.billmgr.ops.plugins.module_utils._database.platformdb import platform_client
from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import QUERIES, Planned, Query
from ansible_collections.billmgr.ops.plugins.module_utils._database.querybatch import run_batch

IMPORTED_PLANS = Query('imported_plans', 'Tariff plans imported from a provider.', (), {}, imported_plans_sql(),
                       TYPES['imported_plans'])
# What RV(processing_modules) holds of each module; `active` only where the schema has it.
MODULE_COLUMNS = ('id', 'name', 'module', 'active')


def _values(row):
    return {'status': row['status'], 'expiredate': row['expiredate']}


class ItemSync:
    """The module's work against one database: read, compare, write."""

    def __init__(self, module, client, result):
        self.module = module
        self.client = client
        self.result = result

    def select(self, sql, what):
        try:
            return self.client.select(sql)
        except MysqlError as exc:
            self.module.fail_json(msg='%s: the database at %s (%s) failed: %s'
                                      % (what, self.client.settings.address, self.client.settings.name, exc),
                                  **self.result)

    def read(self, wanted_module):
        # The modules through the named look-up, which selects only the columns this schema has.
        planned = [Planned('processing_modules', QUERIES['reselling_modules'], {}),
                   Planned('imported_plans', IMPORTED_PLANS, {})]
        try:
            modules, plans = run_batch(self.client, planned, datetime.now())['queries']
        except MysqlError as exc:
            modules = plans = {'error': str(exc)}
        for what, found in (('the provider modules', modules), ('the imported plans', plans)):
            if 'error' in found:
                self.module.fail_json(msg='reading %s: the database at %s (%s) failed: %s'
                                          % (what, self.client.settings.address, self.client.settings.name,
                                             found['error']), **self.result)
        if modules['missing']:
            self.module.warn('this database has no %s: whether it resells cannot be told, so nothing is compared'
                             % ', '.join(modules['missing']))
        self.result['processing_modules'] = [dict((key, row[key]) for key in MODULE_COLUMNS if key in row)
                                             for row in modules.get('rows') or []]
        self.result['imported_plans'] = plans['rows']
        try:
            chosen = choose_modules(self.result['processing_modules'], wanted_module)
        except DriftError as exc:
            self.module.fail_json(msg=str(exc), **self.result)
        if chosen:
            (rows,) = self.select(linked_items_sql(chosen), 'reading the linked items')
            self.result['linked_items'] = typed_rows(rows, TYPES['linked_items'])

    def write(self, changes):
        """Write CHANGES; returns ``{id: row after}`` and the ids the guard left alone."""
        after, skipped = {}, []
        for part in chunks(changes, WRITE_CHUNK):
            sql = write_sql(part)
            self.result['sql'].append(sql)
            answers = self.select(sql, 'correcting %d items' % len(part))
            counts = [typed_rows(answer, TYPES['changed'])[0]['changed'] for answer in answers]
            skipped.extend(item for (item, _before, _after), count in zip(part, counts) if count != 1)
        for ids in chunks([item for item, _before, _after in changes], READ_CHUNK):
            (rows,) = self.select(items_sql(ids), 'reading the corrected items back')
            after.update((row['id'], row) for row in typed_rows(rows, TYPES['linked_items']))
        return after, skipped


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mgr_root=dict(type='path', default=DEFAULT_MGR_ROOT),
            provider_items=dict(type='list', elements='dict'),
            fix=dict(type='bool', default=False),
            expect=dict(type='list', elements='dict'),
            processing_module=dict(type='raw'),
            timeout=dict(type='float', default=60),
        ),
        # Correcting needs the rows to correct the items to.
        required_if=[('fix', True, ['provider_items'])],
        supports_check_mode=True,
    )
    params = module.params
    result = {'changed': False, 'processing_modules': [], 'imported_plans': [], 'linked_items': [], 'drift': [],
              'not_at_provider': [], 'changes': [], 'conflicts': [], 'sql': [], 'db': {}}
    try:
        check_options(params, numbers=(('timeout', 0, MAX_TIMEOUT, True),))
    except OptionError as exc:
        module.fail_json(msg=str(exc), **result)
    # Everything is checked before the database is touched, so a bad value costs no connection.
    try:
        provider = item_rows(params['provider_items'], 'provider_items')
        expect = item_rows(params['expect'], 'expect') if params['expect'] is not None else None
        wanted_module = module_id(params['processing_module'])
    except DriftError as exc:
        module.fail_json(msg=str(exc), **result)

    client = platform_client(module, params['mgr_root'], params['timeout'], result)
    sync = ItemSync(module, client, result)
    sync.read(wanted_module)
    if params['provider_items'] is None:
        module.exit_json(**result)

    result['drift'], result['not_at_provider'] = compare(result['linked_items'], provider)
    if not params['fix'] or not result['drift']:
        module.exit_json(**result)

    changes, result['conflicts'] = plan_fix(result['drift'], expect)
    try:
        # Built once up front, so that a value no write may set fails the task before any write.
        planned_sql = [write_sql(part) for part in chunks(changes, WRITE_CHUNK)] if changes else []
    except DriftError as exc:
        module.fail_json(msg=str(exc), **result)
    if module.check_mode:
        result['sql'] = planned_sql
        written = dict((item, dict(after._asdict(), id=item)) for item, _before, after in changes)
        skipped = []
    elif changes:
        written, skipped = sync.write(changes)
    else:
        written, skipped = {}, []

    now = dict((row['id'], row) for row in result['linked_items'])
    for item, before, _after in changes:
        if item in skipped:
            result['conflicts'].append({'id': item, 'reason': 'changed meanwhile', 'now': _values(written[item]),
                                        'expected': dict(before._asdict())})
            continue
        result['changes'].append({'id': item, 'remoteid': now[item]['remoteid'], 'before': dict(before._asdict()),
                                  'after': _values(written[item])})
    result['changed'] = bool(result['changes'])
    if module._diff and result['changes']:
        result['diff'] = {
            'before_header': 'reseller items', 'after_header': 'provider values',
            'before': ''.join(row_text(c['id'], Values(**c['before'])) for c in result['changes']),
            'after': ''.join(row_text(c['id'], Values(**c['after'])) for c in result['changes'])}
    module.exit_json(**result)


if __name__ == '__main__':
    main()
