# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: sweep_reports
short_description: The earlier sweeps' report.json files in a report directory, oldest first
version_added: 0.1.0
description:
  - Lists C(<dir>/<sweep id>/report.json) for every sweep directory named as the report role names
    them (the UTC time as C(YYYYMMDDTHHMMSSZ)), sorted oldest first; the C(latest) link and
    anything else in the directory are left out.
  - A missing directory gives an empty list. Runs on the controller.
options:
  _terms:
    description: Report directories (absolute paths).
    required: true
    type: list
    elements: path
author:
  - billmgr.ops contributors (@billmgr-ops)
'''

EXAMPLES = r'''
- name: The newest earlier report, or '' when this is the first sweep
  ansible.builtin.set_fact:
    previous_report: "{{ query('billmgr.ops.sweep_reports', '/srv/billmgr-reports') | last | default('', true) }}"
'''

RETURN = r'''
_raw:
  description: Paths of the report.json files, oldest first, for all directories given in turn.
  type: list
  elements: path
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.billmgr.ops.plugins.plugin_utils._reportfiles import ReportFilesError, earlier_reports


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        found = []
        for base in terms:
            try:
                found.extend(earlier_reports(str(base)))
            except ReportFilesError as exc:
                raise AnsibleLookupError(str(exc))
        return found
