#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: support_bundle
short_description: Gather one host's support bundle for the vendor's support, masked and size-bounded
version_added: 0.2.0
description:
  - Builds, in memory on the host, a gzip'd tar of what the vendor's support asks for, and writes it
    on the controller under O(dest) (the action plugin does that part); nothing is written on the host.
  - "It holds: the ERROR records of the window (O(since) to O(until)) in every log of O(logs), each with
    the lines of its C([PID:THREAD]) around it (C(errors/)); each live log, whole when it is at most
    O(log_bytes), else cut to the stretches around its errors and its last lines (C(logs/)); C(debug.conf),
    C(billmgr.conf), C(billmgr.conf.d/*.conf) and C(ihttpd.conf) (C(config/)); C(licctl info) (C(license/));
    platform and OS versions, installed platform packages, disk, inode and memory figures, processes and
    root's crontab lines of the platform (C(host/)); the sweep's findings for the host (C(sweep/)); and
    C(manifest.json) listing every file with its size and SHA-256, what was cut and what was left out."
  - Every file passes the collection's masking of secrets (passwords, keys, tokens in each form the
    platform writes them), with the values the host's own config files name as secret (C(DBPassword))
    and C(licctl)'s key lines added.
  - The content is bounded by O(max_bytes) before compression, so the archive is never larger.
requirements:
  - Python 3 on the host (standard library only). The database is not read, so the C(mysql) or
    C(mariadb) command-line client the sweep's look-ups use is never run here.
options:
  dest:
    description:
      - Directory on the controller the archive is written to, as C(<host>-<UTC time>.tar.gz) (mode 0600).
        Created (mode 0700) when missing.
    type: path
    required: true
  report:
    description:
      - A C(report.json) of the health sweep on the controller (such as C(reports/latest/report.json)); the
        findings of this host in it go into the bundle. Missing or unreadable, the manifest says so.
    type: path
  since:
    description: Start of the window, a time (C(2026-03-06T18:00:00)) or a duration back from now (V(24h), V(90m)).
    type: str
    default: 24h
  until:
    description: End of the window, in the same forms; empty for now.
    type: str
  logs:
    description: Logs searched and included (names under C(var/), globs allowed); V(*) is every log writer.
    type: list
    elements: str
    default: ['*']
  max_bytes:
    description: The most content the bundle holds, in bytes, from 65536 to 268435456.
    type: int
    default: 8388608
  log_bytes:
    description: The most kept of one log, in bytes, from 4096 to O(max_bytes); a larger log is cut around its errors.
    type: int
    default: 1048576
  thread_lines:
    description: Lines of each error's thread kept before and after it, from 0 to 10000.
    type: int
    default: 200
  findings:
    description: Findings to put in C(sweep/findings.json) instead of those of O(report).
    type: list
    elements: dict
  label:
    description: The host's name in the manifest and the archive's name; the inventory name when not given.
    type: str
  tool_timeout:
    description: Seconds each command (C(licctl), C(mgrctl), the package query) may take before it is killed.
    type: float
    default: 20
extends_documentation_fragment:
  - billmgr.ops._common.mgr_root
  - billmgr.ops._attributes
  - billmgr.ops._attributes.read_only
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts can be executed on the controller.
    support: full
seealso:
  - module: billmgr.ops.log_grep
  - module: billmgr.ops.billmgr_facts
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: Bundle the last six hours for the vendor's support, with the last sweep's findings
  billmgr.ops.support_bundle:
    dest: ./support-bundles
    since: 6h
    report: ./reports/latest/report.json

- name: A window in the past, only the main log and the payment modules
  billmgr.ops.support_bundle:
    dest: /srv/tickets/4711
    since: '2026-03-06T18:00:00'
    until: '2026-03-06T19:00:00'
    logs: [billmgr, 'pm*']
'''

RETURN = r'''
archive:
  description: The archive written on the controller.
  type: str
  returned: always
  sample: /home/ops/support-bundles/bm01-20260306T190512Z.tar.gz
sha256:
  description: SHA-256 of the archive.
  type: str
  returned: always
size:
  description: Size of the archive in bytes.
  type: int
  returned: always
bundle:
  description: The bundle's manifest, as C(manifest.json) in the archive holds it.
  type: dict
  returned: always
  contains:
    window:
      description: The window (C(since), C(until)) in the host's local time.
      type: dict
    error_records:
      description: ERROR records of the window (at most 500 kept).
      type: int
    files:
      description: Every file of the bundle with C(path), C(bytes), C(sha256) and, for a cut log, C(note).
      type: list
      elements: dict
    left_out:
      description: Files that did not fit O(max_bytes), with their size.
      type: list
      elements: dict
    errors:
      description: Parts that could not be gathered, with why.
      type: dict
  sample:
    window: {since: '2026-03-06T13:05:12', until: null, zone: the host's local time}
    error_records: 25
    files: [{path: errors/threads.txt, bytes: 18211, sha256: 9f2c...}]
    left_out: []
    errors: {}
'''

import base64
import time
from datetime import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.billmgr.ops.plugins.module_utils._platform.bundle import BundleRequest, build_bundle
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.hostfacts import FactsRequest
from ansible_collections.billmgr.ops.plugins.module_utils._logs.logsources import LogSourceError, check_name
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import MAX_TIMEOUT, Runner
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import DEFAULT_MGR_ROOT, MgrLayout, check_options
from ansible_collections.billmgr.ops.plugins.module_utils._logs.timespec import TimeSpecError, parse_time_or_relative

MAX_BYTES = 256 * 1024 * 1024


def _request(params, layout, now):
    check_options(params, numbers=(('tool_timeout', 0, MAX_TIMEOUT, True), ('max_bytes', 65536, MAX_BYTES, False),
                                   ('log_bytes', 4096, params['max_bytes'], False), ('thread_lines', 0, 10000, False)))
    for name in params['logs']:
        check_name(name, layout)
    local_now = datetime.fromtimestamp(now)
    since = parse_time_or_relative(params['since'], now=local_now, option='since')
    until = parse_time_or_relative(params['until'], now=local_now, option='until') if params['until'] else None
    if until is not None and until < since:
        raise ValueError('until (%s) is before since (%s): give a window that runs forward' % (until, since))
    facts = FactsRequest(layout, Runner(), now=now, tool_timeout=params['tool_timeout'],
                         mgrctl_timeout=params['tool_timeout'], since_local=since)
    return BundleRequest(facts, since, until, logs=params['logs'], max_bytes=params['max_bytes'],
                         log_bytes=params['log_bytes'], thread_lines=params['thread_lines'],
                         findings=params['findings'], host=params['label'])


def main():
    now = time.time()
    module = AnsibleModule(
        argument_spec=dict(
            mgr_root=dict(type='path', default=DEFAULT_MGR_ROOT),
            dest=dict(type='path', required=True),
            report=dict(type='path'),
            since=dict(type='str', default='24h'),
            until=dict(type='str'),
            logs=dict(type='list', elements='str', default=['*']),
            max_bytes=dict(type='int', default=8 * 1024 * 1024),
            log_bytes=dict(type='int', default=1024 * 1024),
            thread_lines=dict(type='int', default=200),
            findings=dict(type='list', elements='dict'),
            tool_timeout=dict(type='float', default=20),
            label=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    layout = MgrLayout(module.params['mgr_root'])
    try:
        request = _request(module.params, layout, now)
    except (ValueError, TimeSpecError, LogSourceError) as exc:
        module.fail_json(msg=str(exc), changed=False)
    archive, manifest = build_bundle(request)
    module.exit_json(changed=False, bundle=manifest, archive_base64=base64.b64encode(archive).decode('ascii'))


if __name__ == '__main__':
    main()
