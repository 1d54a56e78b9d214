#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: licctl_info
short_description: Read the platform license as C(licctl info) reports it
version_added: 0.1.0
description:
  - Runs C(licctl info MANAGER) below O(mgr_root) and returns the license ID, whether a license is
    linked to the server, the expiry date and the days left by the host's clock, and every other
    line C(licctl) prints.
  - Tells whether a license was activated on the server before, from lines containing C(Got) in
    C(var/licctl.log); a trial can be activated only once per server and never after a commercial
    license, so a trial can then no longer be activated here.
  - "A C(licctl) that exits non-zero but printed C(ID:) is not a failure (C(ID: 0) means no license
    is linked); a warning gives its exit status and output."
  - Values of lines whose key looks like a secret (key, password, token) are masked in the result.
  - Never changes the server.
options:
  manager:
    description:
      - Name of the platform whose license to read, as C(licctl) takes it.
      - A plain name (letters, digits, dot, dash, underscore); anything else is refused.
    type: str
    default: billmgr
  timeout:
    description:
      - Seconds to wait for C(licctl info) before killing it and failing.
    type: float
    default: 60
extends_documentation_fragment:
  - billmgr.ops._common.mgr_root
  - billmgr.ops._attributes
  - billmgr.ops._attributes.read_only
seealso:
  - module: billmgr.ops.mgrctl_restart
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: Read the license
  billmgr.ops.licctl_info:
  register: lic

- name: Fail when the license runs out within two weeks
  ansible.builtin.assert:
    that:
      - lic.license.linked
      - lic.license.days_left is none or lic.license.days_left > 14
    fail_msg: "License {{ lic.license.id }} expires {{ lic.license.expires }}"

- name: Read the license of an install below another root
  billmgr.ops.licctl_info:
    mgr_root: /opt/mgr5
'''

RETURN = r'''
license:
  description: The license as C(licctl info) printed it, and what was read from C(var/licctl.log).
  returned: always
  type: dict
  contains:
    id:
      description: The license ID (first C(ID:) line); null when there was no number.
      type: int
      returned: always
      sample: 123456
    linked:
      description: 'Whether a license is linked to this server (false for C(ID: 0) or no ID).'
      type: bool
      returned: always
      sample: true
    expires:
      description: The C(Expire) date as an ISO date; null when absent or not understood (a warning says which).
      type: str
      returned: always
      sample: '2027-03-01'
    expires_text:
      description: The C(Expire) value exactly as printed; null when there was no such line.
      type: str
      returned: always
      sample: '2027-03-01'
    days_left:
      description: Days from today (host clock) to RV(license.expires); negative once expired; null without a date.
      type: int
      returned: always
      sample: 98
    fields:
      description:
        - "Every other line as key and value, keys as printed: C(Key: value), or a word and its value
          (C(JustInstalled billing.example.com))."
      type: dict
      returned: always
      sample: {JustInstalled: billing.example.com}
    lines:
      description: Every line other than C(ID) and C(Expire), verbatim and in order (secrets masked).
      type: list
      elements: str
      returned: always
      sample: [JustInstalled billing.example.com]
    activated_before:
      description:
        - Whether C(var/licctl.log) has a line containing C(Got), that is a license was activated on
          this server before; a trial license can then no longer be activated here.
        - Null when the log does not exist.
      type: bool
      returned: always
      sample: true
    got_lines:
      description: The last three C(Got) lines of C(var/licctl.log).
      type: list
      elements: str
      returned: always
      sample: ['Mar  1 10:00:00 [9:1] licctl INFO Got license ID 5 for billmgr']
    trial_used:
      description:
        - The former name of RV(license.activated_before), kept for playbooks that read it.
      type: bool
      returned: always
      sample: true
    raw:
      description: The output of C(licctl info), secrets masked.
      type: str
      returned: always
      sample: "ID: 123456\nExpire: 2027-03-01\n"
cmd:
  description: The command that was run.
  type: list
  elements: str
  returned: always
  sample: [/usr/local/mgr5/sbin/licctl, info, billmgr]
rc:
  description: Exit status of C(licctl info); null when it was not run.
  type: int
  returned: always
  sample: 0
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.billmgr.ops.plugins.module_utils._platform.licctl import info_argv
from ansible_collections.billmgr.ops.plugins.module_utils._platform.license import license_facts
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import MAX_TIMEOUT, Runner
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import DEFAULT_MGR_ROOT, MgrLayout, OptionError, check_options
from ansible_collections.billmgr.ops.plugins.module_utils._platform.secrets import mask_text


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mgr_root=dict(type='path', default=DEFAULT_MGR_ROOT),
            manager=dict(type='str', default='billmgr'),
            timeout=dict(type='float', default=60),
        ),
        supports_check_mode=True,
    )
    manager = module.params['manager']
    try:
        check_options(module.params, names=('manager',), numbers=(('timeout', 0, MAX_TIMEOUT, True),))
    except OptionError as exc:
        module.fail_json(msg=str(exc))
    layout = MgrLayout(module.params['mgr_root'], manager)
    argv = info_argv(layout.licctl, manager)
    license_info, _none = license_facts('', layout.licctl_log)
    result = {'changed': False, 'license': license_info, 'cmd': argv, 'rc': None}

    if not os.path.exists(layout.licctl):
        module.fail_json(
            msg='licctl not found at %s: the platform is not installed below mgr_root %s; '
                'set mgr_root to the install root that holds sbin/licctl' % (layout.licctl, layout.root),
            **result)

    run = Runner().run(argv, module.params['timeout'])
    result['rc'] = run.rc
    found, secrets = license_facts(run.stdout, layout.licctl_log)
    failed = run.rc != 0 or run.timed_out
    if failed and found['id'] is not None and not run.timed_out:
        # `ID: N` is the answer that matters (N = 0: not linked), even from a licctl that exits non-zero.
        module.warn('%s info %s exited with status %s, but printed ID: %s: %s'
                    % (layout.licctl, manager, run.rc, found['id'], mask_text(run.output, secrets) or 'no output'))
        failed = False
    if failed:
        license_info.update(fields=found['fields'], raw=found['raw'])
        module.fail_json(
            msg='%s info %s failed (exit status %s): %s'
                % (layout.licctl, manager, run.rc, mask_text(run.output, secrets) or 'no output'),
            **result)
    result['license'] = found
    if found['expires_text'] and found['expires'] is None:
        module.warn('licctl printed Expire: %r, which is not a date this module understands; '
                    'license.expires is null, see license.raw' % (found['expires_text'],))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
