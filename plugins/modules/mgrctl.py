#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: mgrctl
short_description: Call a platform function with C(mgrctl)
version_added: 0.1.0
description:
  - Runs C(mgrctl -m MANAGER -o OUTPUT FUNC param=value ...) below O(mgr_root) and returns what the
    platform answered, parsed into RV(elements) and RV(form), and its error, if any, as RV(error).
  - The functions the runbooks call are C(paymethod.checkpay) (re-sync payment statuses with the
    payment systems), C(checkevent) (pull item events from the provider billing),
    C(pricelist.sync) with C(elid) (re-sync an imported tariff plan), and billmaintain's
    C(service.billdaily), C(service.statdaily) and C(service.autosuspend).
  - A function named in O(read_only_functions) reports no change and is called in check mode too;
    any other function reports a change, and in check mode is not called at all
    (RV(skipped_call)); the module only asks the platform whether it knows the function
    (C(mgrctl -i FUNC)).
  - A function the platform does not know (C(ERROR missed(function,FUNC))) changes nothing; the
    task reports C(changed=false) and RV(refused=true), in check mode too, and fails unless
    O(allow_refusal=true).
  - Values of the parameters named in O(secret_params) are masked everywhere Ansible shows the
    task (result, messages, the logged invocation).
  - Exit status 0 and no C(ERROR) is success; C(ERROR type(object,value)) fails the task with an
    explanation of the error type.
options:
  func:
    description:
      - The platform function, e.g. V(paymethod.checkpay).
      - Letters, digits, dot, dash and underscore only.
    type: str
    required: true
  params:
    description:
      - Parameters of the call, passed as C(name=value) arguments in the order given.
      - Names are letters, digits, dot, dash and underscore; values are passed as they are.
    type: dict
    default: {}
  manager:
    description:
      - The platform to address with C(-m).
    type: str
    default: billmgr
  output:
    description:
      - Output form to ask C(mgrctl) for. Both are parsed into RV(elements) and RV(form).
    type: str
    choices: [text, json]
    default: text
  read_only_functions:
    description:
      - Functions that only read. A call of one of them reports C(changed=false) and runs in check
        mode.
      - The default lists C(whoami) and the platform's list views, which show a table and change
        nothing (C(account), C(item), C(payment), C(paymethod), C(pricelist), C(processing),
        C(project), C(user)).
      - Setting it replaces the default list, so repeat the defaults that should stay.
    type: list
    elements: str
    default: [whoami, account, item, payment, paymethod, pricelist, processing, project, user]
  secret_params:
    description:
      - Names of keys of O(params) whose values are secrets (a password, an API token). Keys whose
        name says so (containing C(pass), C(pwd), C(key), C(secret), C(token)) are treated as
        secret without being listed.
      - Their values are masked in the result, the messages and the logged invocation.
      - They are still on the command line of C(mgrctl) while it runs, which is the only way
        C(mgrctl) takes parameters.
    type: list
    elements: str
    default: []
  allow_refusal:
    description:
      - When the platform does not know O(func), end the task with a warning instead of failing
        (RV(refused=true), C(changed=false)); for a fleet whose platform versions differ in the
        functions they have.
      - Any other error still fails the task.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for C(mgrctl) before killing it and failing.
    type: float
    default: 60
extends_documentation_fragment:
  - billmgr.ops._common.mgr_root
  - billmgr.ops._attributes
attributes:
  check_mode:
    support: full
    details:
      - Read-only functions (O(read_only_functions)) are called; any other function is not, and the
        task reports C(changed=true) and RV(skipped_call=true), unless the platform says it does
        not know the function (RV(refused)).
  diff_mode:
    support: none
notes:
  - In maintenance mode (C(etc/billmgr.DoNothing) exists) the platform may accept a changing call and
    do nothing; the module warns when it makes such a call.
seealso:
  - module: billmgr.ops.mgrctl_restart
  - module: billmgr.ops.billmgr_query
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: Re-sync payments stuck in status 2 with the payment systems
  billmgr.ops.mgrctl:
    func: paymethod.checkpay

- name: Pull item events from the provider billing now
  billmgr.ops.mgrctl:
    func: checkevent

- name: Re-sync an imported tariff plan
  billmgr.ops.mgrctl:
    func: pricelist.sync
    params:
      elid: 21

- name: Who does mgrctl act as (read-only, runs in check mode too)
  billmgr.ops.mgrctl:
    func: whoami
  register: me

- name: A call with a password that must never show
  billmgr.ops.mgrctl:
    func: user.edit
    params:
      elid: 5
      passwd: "{{ vault_user_password }}"
      sok: ok
    secret_params: [passwd]

- name: A read-only function of our own, JSON output
  billmgr.ops.mgrctl:
    func: paymethod.edit
    params: {elid: 2}
    output: json
    read_only_functions: [whoami, paymethod.edit]
'''

RETURN = r'''
elements:
  description:
    - The answer as a list of elements, one dict per line of text output (C(key=value) pairs) or
      per C(elem) of JSON output.
  returned: always
  type: list
  elements: dict
  sample: [{id: '1', name: Bank transfer}, {id: '2', name: PayMaster}]
form:
  description:
    - The answer read as one form, every C(key=value) of the output merged (later wins); for a
      function that answers with a form, such as C(whoami).
  returned: always
  type: dict
  sample: {name: root, level: admin}
json:
  description: The parsed JSON answer, with O(output=json); null otherwise or when it was not JSON.
  returned: always
  type: raw
  sample: {doc: {ok: {}}}
error:
  description: The platform's error, null on success.
  returned: always
  type: dict
  contains:
    type:
      description: Error type, e.g. C(missed), C(value), C(connect); C(exit) or C(timeout) when mgrctl failed without one.
      type: str
      sample: missed
    object:
      description: What the error is about.
      type: str
      sample: currency
    value:
      description: The offending value, when given.
      type: str
      sample: null
    code:
      description: Error code (JSON output only).
      type: str
      sample: '3'
    params:
      description: The error's parameters (JSON output only).
      type: dict
      sample: {}
    msg:
      description: The platform's message (JSON output only).
      type: str
      sample: Function paymethod.chekpay not found
read_only:
  description: Whether O(func) is in O(read_only_functions).
  returned: always
  type: bool
  sample: false
refused:
  description:
    - True when the platform does not know O(func) (in check mode, asked with C(mgrctl -i FUNC));
      nothing was changed.
  returned: always
  type: bool
  sample: false
skipped_call:
  description: True in check mode when the call was not made because the function may change things.
  returned: always
  type: bool
  sample: false
cmd:
  description: The command run (or that would be run), secret parameter values masked.
  returned: always
  type: list
  elements: str
  sample: [/usr/local/mgr5/sbin/mgrctl, -m, billmgr, -o, text, paymethod.checkpay]
rc:
  description: Exit status of C(mgrctl); null when a failure stopped the module before the call.
  returned: unless the call was not made in check mode
  type: int
  sample: 0
stdout:
  description: What C(mgrctl) printed.
  returned: always
  type: str
  sample: "OK\n"
stderr:
  description: What C(mgrctl) printed on standard error.
  returned: always
  type: str
  sample: ''
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import (
    MAX_TIMEOUT,
    Mgrctl,
    MgrctlUsageError,
    Runner,
    describe_error,
    parse_form,
    parse_json,
    parse_text,
    refuses_function,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import DEFAULT_MGR_ROOT, MgrLayout, OptionError, check_options
from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import looks_secret

READ_ONLY_FUNCTIONS = ['whoami', 'account', 'item', 'payment', 'paymethod', 'pricelist', 'processing', 'project',
                       'user']

# What an error type means, for the message; the platform does not document its types.
_MEANINGS = {
    'missed': 'something the call names does not exist, or a required parameter is missing',
    'value': 'a parameter has a value the platform does not accept',
    'exists': 'what the call would create already exists',
    'access': 'the platform does not allow this call',
    'auth': 'the platform did not accept who mgrctl acts as',
    'connect': 'the platform core did not answer: it is stopped, starting or restarting '
               '(billmgr.ops.mgrctl_restart with state: started brings it up)',
    'blocked': 'the platform is blocked with mgrctl -l; unblock it with mgrctl -u',
    'mysql': 'the database refused the platform; look at the database and var/billmgr.log',
    'not_enough_money': 'the account lacks the funds (see the error params amount, have, deficit, limit)',
    'timeout': 'mgrctl did not finish in time and was killed; raise timeout or look at var/mgrctl.log',
    'exit': 'mgrctl failed without naming an error',
}


def json_elements(data):
    """``{doc: {elem: [{k: {$: v}}]}}`` -> ``(elements, form)`` as flat dicts of text."""
    doc = data.get('doc', data) if isinstance(data, dict) else {}
    if not isinstance(doc, dict):
        return [], {}
    raw = doc.get('elem') or []
    elements = [_flat(elem) for elem in (raw if isinstance(raw, list) else [raw]) if isinstance(elem, dict)]
    form = _flat(dict((key, value) for key, value in doc.items() if key != 'elem' and not key.startswith('$')))
    return elements, form


def _flat(node):
    flat = {}
    for key, value in node.items():
        if key.startswith('$'):
            continue
        if isinstance(value, dict):
            if '$' in value:
                flat[key] = value['$']
            elif not value:
                flat[key] = ''
        elif not isinstance(value, list):
            flat[key] = value
    return flat


def failure_message(error, argv_text, layout):
    meaning = _MEANINGS.get(error.get('type'), 'see the ERROR line and its thread in %s' % layout.log(layout.manager))
    return '%s failed: ERROR %s: %s' % (argv_text, describe_error(error), meaning)


def refusal_message(func, error, argv_text):
    return ('%s: the platform has no function %s (ERROR %s); nothing was changed. Check the name '
            '(mgrctl -i lists the functions), or set allow_refusal: true where some platforms lack it'
            % (argv_text, func, describe_error(error)))


def end_refused(module, result, error, argv_text):
    """The platform does not know the function: nothing changed; fail unless the caller allowed it."""
    result.update(changed=False, refused=True, error=error)
    if module.check_mode:
        # The call itself was not made; only mgrctl -i was.
        result.pop('rc', None)
    message = refusal_message(module.params['func'], error, argv_text)
    if not module.params['allow_refusal']:
        module.fail_json(msg=message, **result)
    module.warn(message)
    # Said outright: Ansible would read mgrctl's non-zero rc as a failed task.
    module.exit_json(failed=False, **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mgr_root=dict(type='path', default=DEFAULT_MGR_ROOT),
            func=dict(type='str', required=True),
            params=dict(type='dict', default={}),
            manager=dict(type='str', default='billmgr'),
            output=dict(type='str', default='text', choices=['text', 'json']),
            read_only_functions=dict(type='list', elements='str', default=list(READ_ONLY_FUNCTIONS)),
            secret_params=dict(type='list', elements='str', default=[], no_log=False),
            allow_refusal=dict(type='bool', default=False),
            timeout=dict(type='float', default=60),
        ),
        supports_check_mode=True,
    )
    args = module.params
    call_params = args['params'] or {}
    # Before anything is run or returned, so that even a failure message cannot show them.
    for name in list(args['secret_params']) + [name for name in call_params if looks_secret(name)]:
        if call_params.get(name) not in (None, ''):
            module.no_log_values.add(str(call_params[name]))

    read_only = args['func'] in args['read_only_functions']
    # Nothing has changed until a changing call is made (or, in check mode, would be).
    result = {'changed': False, 'read_only': read_only, 'refused': False, 'skipped_call': False, 'cmd': [], 'rc': None,
              'stdout': '', 'stderr': '', 'elements': [], 'form': {}, 'json': None, 'error': None}
    try:
        check_options(args, names=('manager', 'secret_params', 'read_only_functions'), numbers=(('timeout', 0, MAX_TIMEOUT, True),))
    except OptionError as exc:
        module.fail_json(msg=str(exc), **result)
    layout = MgrLayout(args['mgr_root'], args['manager'])
    mgrctl = Mgrctl(Runner(), layout, timeout=args['timeout'])
    try:
        argv = mgrctl.argv(args['func'], call_params, args['output'])
    except MgrctlUsageError as exc:
        module.fail_json(msg='%s; nothing was run' % exc, **result)
    result['cmd'] = argv
    if not os.path.exists(layout.mgrctl):
        module.fail_json(
            msg='mgrctl not found at %s: the platform is not installed below mgr_root %s; '
                'set mgr_root to the install root that holds sbin/mgrctl' % (layout.mgrctl, layout.root),
            **result)

    if module.check_mode and not read_only:
        probe, error = mgrctl.describe(args['func'])
        if refuses_function(error, args['func']):
            end_refused(module, result, error, ' '.join(probe.argv))
        if error is not None:
            module.warn('mgrctl -i %s did not answer (ERROR %s): the prediction that it changes something '
                        'is unconfirmed' % (args['func'], describe_error(error)))
        result.update(changed=True, skipped_call=True)
        # Ansible reads any rc other than 0 (null included) as a failed task; nothing ran here.
        del result['rc']
        module.exit_json(**result)
    if not read_only and os.path.exists(layout.maintenance_file):
        module.warn('%s exists: in maintenance mode the platform may accept %s and do nothing'
                    % (layout.maintenance_file, args['func']))

    run, error = mgrctl.call(args['func'], call_params, args['output'])
    result['changed'] = not read_only
    result.update(rc=run.rc, stdout=run.stdout, stderr=run.stderr, error=error)
    if args['output'] == 'json':
        try:
            result['json'] = parse_json(run.stdout)
        except ValueError:
            result['json'] = None
        result['elements'], result['form'] = json_elements(result['json'])
    else:
        result['elements'], result['form'] = parse_text(run.stdout), parse_form(run.stdout)
    if refuses_function(error, args['func']):
        end_refused(module, result, error, ' '.join(argv))
    if error is not None:
        # The platform refused (or mgrctl never ran), so nothing changed; a call killed halfway may have.
        result['changed'] = not read_only and error.get('type') == 'timeout'
        module.fail_json(msg=failure_message(error, ' '.join(argv), layout), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
