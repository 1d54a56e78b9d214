# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of billmgr.ops.billmgr_facts: the documentation is in plugins/modules.

Runs the module as Ansible would, reading the controller's clock just before the call and just
after the result, so the host's clock skew is measured over this call's own round trip: a task
that waited for a fork or a slow connection before it started widens the uncertainty instead of
adding to the skew.
"""

from __future__ import annotations

import time

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.billmgr.ops.plugins.plugin_utils._clockskew import measure_clock


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        wrap_async = self._task.async_val and not self._connection.has_native_async
        sent = time.time()
        answer = self._execute_module(task_vars=task_vars, wrap_async=wrap_async)
        received = time.time()
        result = merge_hash(result, answer)
        # An async job's facts arrive later, through async_status: there is no round trip to time.
        if not wrap_async:
            # The result and the fact `billmgr` carry the same section.
            for facts in (result.get('billmgr_facts'), (result.get('ansible_facts') or {}).get('billmgr')):
                if isinstance(facts, dict):
                    measure_clock(facts.get('clock'), sent, received)
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
