#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: billmgr_provider_items
short_description: Read a reseller's items as its provider BILLmanager sees them, over the provider's API
version_added: 0.1.0
description:
  - On a reselling BILLmanager, reads the URL and account stored for its C(pmbillmgr) processing
    module, logs in to the provider BILLmanager's API with them (C(func=auth), C(out=json)) and lists
    the account's services there (O(list_funcs)).
  - Returns them as RV(provider_items), rows C(id), C(status), C(expiredate) by the provider's item
    id, which M(billmgr.ops.billmgr_item_sync) takes as O(billmgr.ops.billmgr_item_sync#module:provider_items)
    to compare with this billing's items by C(remoteid). No shell or database access on the provider is needed.
  - The password and the session id are never returned or logged; requests are POSTs, so they do not
    appear in URLs either.
  - "Assumed, not documented by the vendor: the module settings are C(processingparam) rows C(url),
    C(username) and C(password); the list answers C(doc.elem) with C(id), C(status) (the item status
    number) and C(expiredate). An element whose fields cannot be read is listed in RV(unreadable),
    never compared."
options:
  processing_module:
    description:
      - Id of the C(pmbillmgr) processing module whose provider is read; by default the only one there is.
    type: raw
  provider_url:
    description:
      - The provider's API URL (C(https://host:1500/billmgr)); by default the one the module stores.
    type: str
  provider_username:
    description: The account at the provider; by default the one the module stores.
    type: str
  provider_password:
    description:
      - The account's password; by default the one the module stores, when it is stored readable.
      - Give it from a vault when the platform keeps it encrypted.
    type: str
  list_funcs:
    description:
      - Platform functions that list the account's services at the provider, read one after the other.
      - The default lists ISPsystem licenses, the service the runbook resells. [assumed]
    type: list
    elements: str
    default: [soft]
  ids:
    description: Return only the provider's items with these ids (the reseller's C(remoteid) values).
    type: list
    elements: int
  validate_certs:
    description: Check the provider's TLS certificate and name.
    type: bool
    default: true
  ca_file:
    description: A CA bundle to check the provider's certificate with, instead of the system's.
    type: path
  timeout:
    description: Seconds each request to the provider, and the database read, may take.
    type: float
    default: 30
extends_documentation_fragment:
  - billmgr.ops._common.mgr_root
  - billmgr.ops._attributes
  - billmgr.ops._attributes.read_only
requirements:
  - The C(mariadb) or C(mysql) command-line client on the managed host, to read the stored settings.
notes:
  - Keep reading the provider's database directly (M(billmgr.ops.billmgr_query) on the provider host)
    where the provider is yours; this module is for the reseller of someone else's services.
seealso:
  - module: billmgr.ops.billmgr_item_sync
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: The provider's side of this reseller's items, over the provider's API
  billmgr.ops.billmgr_provider_items:
  register: provider

- name: Compare with this billing's items
  billmgr.ops.billmgr_item_sync:
    provider_items: "{{ provider.provider_items }}"

- name: A password the platform keeps encrypted, from a vault
  billmgr.ops.billmgr_provider_items:
    provider_password: "{{ vault_provider_password }}"
    validate_certs: true
'''

RETURN = r'''
provider_items:
  description: The provider's items, by the provider's id.
  returned: always
  type: list
  elements: dict
  sample: [{id: 3101, status: 2, expiredate: '2027-01-31'}]
unreadable:
  description: Elements of the provider's lists whose id, status or expiry could not be read, with why.
  returned: always
  type: list
  elements: dict
provider:
  description: Where the items were read; never the password.
  returned: always
  type: dict
  sample: {url: 'https://provider.example.com:1500/billmgr', username: reseller, processing_module: 5,
           password_from: stored, list_funcs: [soft]}
'''

from datetime import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.billmgr.ops.plugins.module_utils._database.drift import DriftError, choose_modules, module_id
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import MAX_TIMEOUT
from ansible_collections.billmgr.ops.plugins.module_utils._database.mysqlcli import MysqlError, typed_rows
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import DEFAULT_MGR_ROOT, OptionError, check_options
from ansible_collections.billmgr.ops.plugins.module_utils._database.platformdb import platform_client
from ansible_collections.billmgr.ops.plugins.module_utils._platform.providerapi import (
    ProviderApi,
    ProviderApiError,
    check_func,
    settings_sql,
    stored_settings,
)
from ansible_collections.billmgr.ops.plugins.module_utils._database.queries import QUERIES, Planned
from ansible_collections.billmgr.ops.plugins.module_utils._database.querybatch import run_batch
from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import mask_all


def read_settings(module, client, result):
    """The chosen module's id and its stored settings, or the task fails saying why."""
    where = 'the database at %s (%s)' % (client.settings.address, client.settings.name)
    try:
        (modules,) = run_batch(client, [Planned('processing_modules', QUERIES['reselling_modules'], {})],
                               datetime.now())['queries']
    except MysqlError as exc:
        modules = {'error': str(exc)}
    if 'error' in modules:
        module.fail_json(msg='reading the provider modules: %s failed: %s' % (where, modules['error']), **result)
    try:
        chosen = choose_modules(modules.get('rows') or [], module_id(module.params['processing_module']))
    except DriftError as exc:
        module.fail_json(msg=str(exc), **result)
    if not chosen:
        module.fail_json(msg='this billing has no pmbillmgr processing module: it resells nothing through a '
                             'provider BILLmanager, so there is no provider to read', **result)
    try:
        (rows,) = client.select(settings_sql(chosen[0]))
    except MysqlError as exc:
        module.fail_json(msg='reading the settings of processing module %d: %s failed: %s' % (chosen[0], where, exc),
                         **result)
    found = stored_settings(typed_rows(rows, {}))
    if found['password']:
        module.no_log_values.add(found['password'])
    return chosen[0], found


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mgr_root=dict(type='path', default=DEFAULT_MGR_ROOT),
            processing_module=dict(type='raw'),
            provider_url=dict(type='str'),
            provider_username=dict(type='str'),
            provider_password=dict(type='str', no_log=True),
            list_funcs=dict(type='list', elements='str', default=['soft']),
            ids=dict(type='list', elements='int'),
            validate_certs=dict(type='bool', default=True),
            ca_file=dict(type='path'),
            timeout=dict(type='float', default=30),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = {'changed': False, 'provider_items': [], 'unreadable': [], 'provider': {}}
    try:
        check_options(params, numbers=(('timeout', 0, MAX_TIMEOUT, True),),
                      lines=('provider_url', 'provider_username', 'provider_password'))
        funcs = [check_func(name) for name in params['list_funcs']]
        if not funcs:
            raise OptionError('list_funcs must name at least one platform function')
        module_id(params['processing_module'])
    except (OptionError, ProviderApiError, DriftError) as exc:
        module.fail_json(msg=str(exc), **result)

    client = platform_client(module, params['mgr_root'], params['timeout'], result)
    chosen, stored = read_settings(module, client, result)

    url = params['provider_url'] or stored['url']
    username = params['provider_username'] or stored['username']
    password = params['provider_password'] or stored['password']
    secrets = [password] if password else []
    result['provider'] = {'url': mask_all(url or '', secrets), 'username': username, 'processing_module': chosen,
                          'password_from': 'option' if params['provider_password'] else
                          ('stored' if stored['password'] else None), 'list_funcs': funcs}
    api = None
    try:
        api = ProviderApi(url, username, password, timeout=params['timeout'],
                          validate_certs=params['validate_certs'], ca_file=params['ca_file'])
        rows, unreadable = [], []
        for func in funcs:
            found, bad = api.items(func)
            if api.session:
                module.no_log_values.add(api.session)
            rows.extend(found)
            unreadable.extend(bad)
    except ProviderApiError as exc:
        hidden = secrets + ([api.session] if api is not None and api.session else [])
        module.fail_json(msg='the provider API of processing module %d: %s' % (chosen, mask_all(str(exc), hidden)),
                         **result)
    wanted = set(params['ids']) if params['ids'] is not None else None
    by_id = {}
    for row in rows:
        if wanted is None or row['id'] in wanted:
            by_id[row['id']] = row
    result['provider_items'] = [by_id[key] for key in sorted(by_id)]
    result['unreadable'] = unreadable
    module.exit_json(**result)


if __name__ == '__main__':
    main()
