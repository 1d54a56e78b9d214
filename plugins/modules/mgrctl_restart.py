#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: mgrctl_restart
short_description: Restart the platform with C(mgrctl -R) and wait until it answers again
version_added: 0.1.0
description:
  - Runs C(mgrctl -m billmgr -R), then polls C(mgrctl -m billmgr whoami) until it succeeds or
    O(timeout) runs out.
  - With O(state=restarted) the platform is always restarted, which is what a handler wants after a
    change to C(etc/debug.conf) or the platform settings.
  - With O(state=started) the platform is restarted only when C(whoami) gets no answer, so a healthy
    platform is left alone and the task reports no change.
  - Refuses to restart a platform in maintenance mode (C(etc/billmgr.DoNothing) exists) unless
    O(force=true).
  - Every C(mgrctl) call is killed after O(mgrctl_timeout) seconds, so a hung C(mgrctl) cannot hang
    the task.
options:
  state:
    description:
      - V(restarted) restarts every time.
      - V(started) restarts only when the platform does not answer C(whoami).
    type: str
    choices: [restarted, started]
    default: restarted
  timeout:
    description:
      - Seconds to wait, after the restart, for C(whoami) to succeed before failing.
    type: float
    default: 120
  poll_interval:
    description:
      - Seconds between two C(whoami) probes while waiting.
    type: float
    default: 2
  mgrctl_timeout:
    description:
      - Seconds each single C(mgrctl) call may take before it is killed and counted as failed.
    type: float
    default: 30
  force:
    description:
      - Restart even when C(etc/billmgr.DoNothing) says the platform is in maintenance mode.
      - Someone put the platform into maintenance on purpose; a restart would bring it back in the
        middle of that work.
    type: bool
    default: false
extends_documentation_fragment:
  - billmgr.ops._common.mgr_root
  - billmgr.ops._attributes
attributes:
  check_mode:
    support: full
    details:
      - Runs only the read-only C(whoami) probe and reports whether it would restart.
  diff_mode:
    support: none
notes:
  - What C(mgrctl -R) prints is not documented; exit status 0 and no C(ERROR) line count as success.
seealso:
  - module: billmgr.ops.debug_level
  - module: billmgr.ops.licctl_info
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: Restart the platform (a handler after a debug.conf change)
  billmgr.ops.mgrctl_restart:
  listen: restart billmgr

- name: Make sure the platform answers, restarting it only if it does not
  billmgr.ops.mgrctl_restart:
    state: started
    timeout: 300

- name: Restart although maintenance mode is on
  billmgr.ops.mgrctl_restart:
    force: true
'''

RETURN = r'''
restarted:
  description: Whether C(mgrctl -R) was run (in check mode, whether it would be).
  type: bool
  returned: always
  sample: true
answered:
  description: Whether the platform answered C(whoami) at the end (in check mode, before anything).
  type: bool
  returned: always
  sample: true
elapsed:
  description: Seconds from the restart until the platform answered (or until the task gave up).
  type: float
  returned: always
  sample: 7.4
last_output:
  description: What the last C(mgrctl) call printed, to read when the platform did not come back.
  type: str
  returned: always
  sample: 'ERROR auth(whoami)'
maintenance:
  description: Whether C(etc/billmgr.DoNothing) exists.
  type: bool
  returned: always
  sample: false
'''

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import MAX_TIMEOUT, Mgrctl, Runner, describe_error
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import DEFAULT_MGR_ROOT, MgrLayout, OptionError, check_options


def _wait_until_answers(mgrctl, timeout, poll_interval):
    """Poll whoami until it succeeds or TIMEOUT passes: ``(answered, elapsed, last output)``."""
    started = time.monotonic()
    while True:
        answered, output = mgrctl.answers()
        elapsed = time.monotonic() - started
        if answered or elapsed + poll_interval > timeout:
            return answered, elapsed, output
        time.sleep(poll_interval)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mgr_root=dict(type='path', default=DEFAULT_MGR_ROOT),
            state=dict(type='str', default='restarted', choices=['restarted', 'started']),
            timeout=dict(type='float', default=120),
            poll_interval=dict(type='float', default=2),
            mgrctl_timeout=dict(type='float', default=30),
            force=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    layout = MgrLayout(params['mgr_root'])
    mgrctl = Mgrctl(Runner(), layout, timeout=params['mgrctl_timeout'])
    result = {'changed': False, 'restarted': False, 'answered': False, 'elapsed': 0.0, 'last_output': '',
              'maintenance': os.path.exists(layout.maintenance_file)}

    if not os.path.exists(layout.mgrctl):
        module.fail_json(
            msg='mgrctl not found at %s: the platform is not installed below mgr_root %s; '
                'set mgr_root to the install root that holds sbin/mgrctl' % (layout.mgrctl, layout.root),
            **result)
    try:
        check_options(params, numbers=(('timeout', 0, MAX_TIMEOUT, True), ('poll_interval', 0, 3600, True),
                                       ('mgrctl_timeout', 0, MAX_TIMEOUT, True)))
    except OptionError as exc:
        module.fail_json(msg=str(exc), **result)

    if params['state'] == 'started':
        result['answered'], result['last_output'] = mgrctl.answers()
        if result['answered']:
            module.exit_json(**result)

    if result['maintenance'] and not params['force']:
        module.fail_json(
            msg='%s exists: the platform is in maintenance mode, and a restart would bring it back in '
                'the middle of that work. Remove the file when the maintenance is over, or set '
                'force: true to restart anyway' % layout.maintenance_file,
            **result)

    result.update(changed=True, restarted=True)
    if module.check_mode:
        if params['state'] == 'restarted':
            result['answered'], result['last_output'] = mgrctl.answers()
        module.exit_json(**result)

    restart, error = mgrctl.restart()
    result['last_output'] = restart.output
    if error is not None:
        result['answered'], _output = mgrctl.answers()
        module.fail_json(
            msg='%s -m %s -R failed: %s. The platform %s; see %s'
                % (layout.mgrctl, layout.manager, describe_error(error) or restart.output,
                   'still answers whoami, so it was probably not restarted' if result['answered']
                   else 'does not answer whoami', layout.log(layout.manager)),
            **result)

    result['answered'], elapsed, result['last_output'] = _wait_until_answers(
        mgrctl, params['timeout'], params['poll_interval'])
    result['elapsed'] = round(elapsed, 1)
    if not result['answered']:
        module.fail_json(
            msg='the platform was restarted but did not answer %s -m %s whoami within %s seconds; last '
                'answer: %s. Look at %s and the ihttpd service, then run this task again, with a longer '
                'timeout if the platform is only slow to start'
                % (layout.mgrctl, layout.manager, params['timeout'], result['last_output'] or 'nothing',
                   layout.log(layout.manager)),
            **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
