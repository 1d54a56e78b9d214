#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: licctl
short_description: Make sure the platform license is linked and not expired
version_added: 0.1.0
description:
  - "Reads the license with C(licctl info MANAGER). When no license is linked (C(ID: 0)) or it has
    expired by the host's clock, runs C(licctl fetch MANAGER [KEY]) and reads the license again."
  - A linked license that has not expired is left alone and the task reports no change, unless
    O(force=true), which fetches anyway (the runbook's refresh after a change in the client area).
  - When the fetch fails, the task fails with the runbook's guidance and the last lines of
    C(var/licctl.log), the key masked wherever it appears.
options:
  state:
    description:
      - V(present) is the only state; a license cannot be unlinked from the server.
    type: str
    choices: [present]
    default: present
  key:
    description:
      - The activation key from the client area, for a server that has never had this license.
      - Without it C(licctl fetch) links the license the licensing server already holds for this
        server's address.
      - Masked in the result, messages and the log lines returned. It is on the command line of
        C(licctl) while it runs, the only way C(licctl) takes it.
    type: str
  force:
    description:
      - Fetch even when a valid license is linked, to pick up a change made in the client area.
    type: bool
    default: false
  manager:
    description:
      - Name of the platform whose license to manage, as C(licctl) takes it.
    type: str
    default: billmgr
  timeout:
    description:
      - Seconds to wait for each C(licctl) call before killing it and failing.
    type: float
    default: 120
  log_lines:
    description:
      - How many of the last lines of C(var/licctl.log) to return when the fetch fails.
    type: int
    default: 20
extends_documentation_fragment:
  - billmgr.ops._common.mgr_root
  - billmgr.ops._attributes
attributes:
  check_mode:
    support: full
    details:
      - Runs only C(licctl info) and reports in RV(reason) whether and why it would fetch.
  diff_mode:
    support: none
notes:
  - A key can be generated in the client area once a month; fetching with a key that failed will
    keep failing until a new one is generated.
  - The license is checked against the server's clock; a wrong date or time makes a good license
    look expired or not yet valid.
seealso:
  - module: billmgr.ops.licctl_info
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: Link the license with a new activation key
  billmgr.ops.licctl:
    key: "{{ vault_billmgr_license_key }}"

- name: Make sure a license is linked and valid; without a key the licensing server goes by the server
  billmgr.ops.licctl:
  register: lic

- name: Refresh the license after a change in the client area
  billmgr.ops.licctl:
    force: true

- name: What would happen
  billmgr.ops.licctl:
  check_mode: true
  register: would

- name: Show why
  ansible.builtin.debug:
    msg: "{{ would.reason | default('nothing to do', true) }}"
'''

RETURN = r'''
license:
  description: The license as C(licctl info) reports it after the task (before it, in check mode), as M(billmgr.ops.licctl_info) returns it.
  returned: always
  type: dict
  contains:
    id:
      description: The license ID; null when there was no number.
      type: int
      sample: 123456
    linked:
      description: 'Whether a license is linked (false for C(ID: 0)).'
      type: bool
      sample: true
    expires:
      description: The C(Expire) date as an ISO date; null when absent or not understood.
      type: str
      sample: '2027-03-01'
    days_left:
      description: Days from today (host clock) to RV(license.expires); negative once expired.
      type: int
      sample: 365
    fields:
      description: 'Every other C(Key: value) line; secret-looking values masked.'
      type: dict
      sample: {Type: commercial, Status: active}
    trial_used:
      description: Whether C(var/licctl.log) shows a license was ever received; null without the log.
      type: bool
      sample: true
    raw:
      description: The output of C(licctl info), secrets masked.
      type: str
      sample: "ID: 123456\nExpire: 2027-03-01\n"
fetched:
  description: Whether C(licctl fetch) was run.
  returned: always
  type: bool
  sample: true
reason:
  description: Why a fetch was (or in check mode would be) needed; null when none was.
  returned: always
  type: str
  sample: no license is linked (ID 0)
cmd:
  description: The command run last, the key masked; C(licctl fetch) when it was run.
  returned: always
  type: list
  elements: str
  sample: [/usr/local/mgr5/sbin/licctl, fetch, billmgr, '********']
rc:
  description: Exit status of RV(cmd).
  returned: always
  type: int
  sample: 0
output:
  description: What C(licctl fetch) printed, the key masked; empty when it was not run.
  returned: always
  type: str
  sample: ''
log_tail:
  description: The last O(log_lines) lines of C(var/licctl.log), the key and secret-looking values masked; only when the fetch failed.
  returned: failure
  type: list
  elements: str
  sample: ['Mar  3 00:24:36 [9686:1] licctl ERROR License server refused the request: Failed to get license']
'''

import os
import re
from datetime import date

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.hostfile import read_bytes
from ansible_collections.billmgr.ops.plugins.module_utils._platform.licctl import info_argv
from ansible_collections.billmgr.ops.plugins.module_utils._platform.license import license_facts
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import MAX_TIMEOUT, Runner
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import DEFAULT_MGR_ROOT, MgrLayout, OptionError, check_options
from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import mask_text

FAILED_TEXT = 'Failed to get license'
TAIL_BYTES = 256 * 1024
_ANSI_RE = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')


class LicenseTask:
    """One run: the commands, what they said, and the secrets to keep out of all of it."""

    def __init__(self, module, layout, key):
        self.module = module
        self.layout = layout
        self.key = key
        self.runner = Runner()
        self.secrets = [key] if key else []

    def hide(self, text):
        return mask_text(text or '', self.secrets)

    def run(self, argv):
        return self.runner.run(argv, self.module.params['timeout'])

    def read(self, result, record=True):
        """``licctl info`` -> the license dict of licctl_info; fails the task when licctl fails.

        RECORD puts its command and exit status into RESULT; after a fetch they stay the fetch's.
        """
        argv = info_argv(self.layout.licctl, self.layout.manager)
        run = self.run(argv)
        if record or run.rc != 0 or run.timed_out:
            result.update(cmd=argv, rc=run.rc)
        license_info, secrets = license_facts(run.stdout, self.layout.licctl_log, date.today())
        license_info.pop('expires_text', None)
        self.secrets += secrets
        license_info = dict((name, self.hide(value) if isinstance(value, str) else value)
                            for name, value in license_info.items())
        license_info['fields'] = dict((name, self.hide(value)) for name, value in license_info['fields'].items())
        result['license'] = license_info
        if run.rc != 0 or run.timed_out:
            self.module.fail_json(msg='%s info %s failed (exit status %s): %s'
                                      % (self.layout.licctl, self.layout.manager, run.rc,
                                         self.hide(run.output) or 'no output'), **result)
        return license_info

    def fetch(self, result):
        argv = [self.layout.licctl, 'fetch', self.layout.manager] + ([self.key] if self.key else [])
        run = self.run(argv)
        result.update(cmd=[self.hide(part) for part in argv], rc=run.rc, output=self.hide(run.output),
                      fetched=True)
        if run.rc != 0 or run.timed_out or FAILED_TEXT.lower() in run.output.lower():
            self.fail(result, 'licctl fetch %s failed (exit status %s): %s'
                      % (self.layout.manager, run.rc, self.hide(run.output) or 'no output'))

    def fail(self, result, what):
        result['log_tail'] = self.log_tail(self.module.params['log_lines'])
        self.module.fail_json(
            msg='%s. Generate a new activation key in the client area and run this task again with key: '
                'a key can be generated only once a month, so do not fetch again with one that failed. '
                'Check the server clock too, the license is checked against it. Details are in %s '
                '(last lines in log_tail)' % (what, self.layout.licctl_log),
            **result)

    def log_tail(self, count):
        if count <= 0:
            return []
        try:
            data = read_bytes(self.layout.licctl_log, TAIL_BYTES, 'the licctl log', tail=True)
        except OSError as exc:
            return ['(cannot read %s: %s)' % (self.layout.licctl_log, exc.strerror or exc)]
        lines = data.decode('utf-8', 'replace').splitlines()[-count:]
        # The platform's licctl logs the key it was given; older keys are caught by the word before them.
        return [self.hide(_ANSI_RE.sub('', line)) for line in lines]


def fetch_reason(license_info, force):
    """Why the license must be fetched, or None when the linked license is good."""
    if not license_info['linked']:
        return 'no license is linked (ID %s)' % (license_info['id'] if license_info['id'] is not None else 'missing')
    if license_info['days_left'] is not None and license_info['days_left'] < 0:
        return 'the license expired on %s' % license_info['expires']
    if force:
        return 'force: true'
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mgr_root=dict(type='path', default=DEFAULT_MGR_ROOT),
            state=dict(type='str', default='present', choices=['present']),
            key=dict(type='str', no_log=True),
            force=dict(type='bool', default=False),
            manager=dict(type='str', default='billmgr'),
            timeout=dict(type='float', default=120),
            log_lines=dict(type='int', default=20),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = {'changed': False, 'fetched': False, 'reason': None, 'license': {}, 'cmd': [], 'rc': None,
              'output': ''}
    try:
        check_options(params, names=('manager',), lines=('key',),
                      numbers=(('timeout', 0, MAX_TIMEOUT, True), ('log_lines', 0, 10000, False)))
    except OptionError as exc:
        module.fail_json(msg=str(exc), **result)
    layout = MgrLayout(params['mgr_root'], params['manager'])
    if not os.path.exists(layout.licctl):
        module.fail_json(msg='licctl not found at %s: the platform is not installed below mgr_root %s; set '
                             'mgr_root to the install root that holds sbin/licctl' % (layout.licctl, layout.root),
                         **result)
    task = LicenseTask(module, layout, params['key'] or None)

    result['reason'] = fetch_reason(task.read(result), params['force'])
    if result['reason'] is None:
        module.exit_json(**result)
    result['changed'] = True
    if module.check_mode:
        module.exit_json(**result)

    task.fetch(result)
    after = task.read(result, record=False)
    if fetch_reason(after, False) is not None:
        task.fail(result, 'licctl fetch %s reported success, but then %s' % (layout.manager, fetch_reason(after, False)))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
