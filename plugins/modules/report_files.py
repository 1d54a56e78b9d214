#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done on the controller by plugins/action/report_files.py; this file documents it.

from __future__ import annotations

DOCUMENTATION = r'''
module: report_files
short_description: Write a sweep's report files on the controller in one step
version_added: 0.1.0
description:
  - Creates the sweep's report directory, writes each given file into it and points a C(latest)
    symlink at the directory, all on the Ansible controller and within the task's own process,
    without starting a module per file.
  - Each file is written to a temporary file beside it and renamed over the old one, so a reader
    never sees half a file; a replaced file keeps its owner and group and gets O(files[].mode).
  - Something at O(latest) that is not a symlink is never replaced; the task fails and names it.
  - The health sweep's report role uses it; it does not touch the managed hosts and has no
    C(mgr_root) option, unlike the platform modules.
options:
  dir:
    description: The directory of this sweep's reports; created with O(dir_mode) when missing.
    type: path
    required: true
  dir_mode:
    description: Octal permission mode of O(dir) when it is created, from C(0000) to C(0777).
    type: str
    default: '0750'
  files:
    description: The files to write, in this order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - Name relative to O(dir). Absolute paths and C(..) are refused, so a task cannot write outside
            O(dir); write a file elsewhere with a task whose O(dir) is that file's directory.
        type: path
        required: true
      content:
        description: The whole text of the file, written as UTF-8.
        type: str
        required: true
      mode:
        description: Octal permission mode of the file, from C(0000) to C(0777) (no setuid, setgid or sticky bits).
        type: str
        default: '0640'
  latest:
    description:
      - Path of a symlink to point at O(dir). When it sits beside O(dir) the link is relative (the
        directory's name), so the report tree can be moved as a whole.
    type: path
  keep:
    description:
      - With O(latest), how many sweeps to keep beside O(dir), this one included; older ones are
        deleted after the files are written and the link points at O(dir). Only directories named as
        the report role names sweeps (C(YYYYMMDDTHHMMSSZ)) count; nothing else there is touched.
      - V(0) keeps every sweep.
    type: int
    default: 0
    version_added: 0.1.0
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  check_mode:
    support: full
    details: In check mode nothing is written and RV(planned) lists the files that would be; what a real run refuses is refused in check mode too.
  diff_mode:
    support: none
extends_documentation_fragment:
  - billmgr.ops._attributes
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: Write this sweep's reports and point latest at them
  billmgr.ops.report_files:
    dir: /srv/billmgr-reports/20261123T101500Z
    latest: /srv/billmgr-reports/latest
    files:
      - path: report.json
        content: "{{ report | to_nice_json }}"
      - path: report.html
        content: "{{ lookup('ansible.builtin.template', 'report.html.j2') }}"
      - path: report.md
        content: "{{ lookup('ansible.builtin.template', 'report.md.j2') }}"
        mode: '0640'
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
dir:
  description: The report directory, absolute.
  returned: always
  type: str
  sample: /srv/billmgr-reports/20261123T101500Z
written:
  description: The files written, in order; on failure, those written before it.
  returned: always
  type: list
  elements: str
  sample: [/srv/billmgr-reports/20261123T101500Z/report.json]
planned:
  description: In check mode, the files that would be written.
  returned: check mode
  type: list
  elements: str
latest:
  description: The symlink pointed at O(dir), as given.
  returned: always
  type: str
pruned:
  description: The older sweep directories deleted because of O(keep).
  returned: always
  type: list
  elements: str
  sample: [/srv/billmgr-reports/20261001T101500Z]
'''
