# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host in a temporary directory for the billmgr_facts section tests: a mgr root with fake
``sbin/mgrctl`` and ``bin/core``, a ``tools/`` directory of fake host programs, and a fake ``/proc``."""

from __future__ import annotations

import json
import sys

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.hostfacts import FactsRequest
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import Runner, local_run_command
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import MgrLayout

# Answers from files the test writes next to it: NAME.out, NAME.err, NAME.rc; NAME.hang sleeps.
# Every call appends its argv to NAME.calls.
FAKE_TOOL = '''
import json, os, sys, time
name = os.path.basename(__file__)
state = ANSWERS
def read(suffix, default=''):
    try:
        with open(os.path.join(state, name + suffix)) as f:
            return f.read()
    except OSError:
        return default
with open(os.path.join(state, name + '.calls'), 'a') as f:
    f.write(json.dumps(sys.argv[1:]) + '\\n')
if os.path.exists(os.path.join(state, name + '.hang')):
    time.sleep(60)
sys.stdout.write(read('.out'))
sys.stderr.write(read('.err'))
sys.exit(int(read('.rc', '0')))
'''


class Host:
    """A mgr root, a ``tools/`` directory of fake host programs, and a fake ``/proc``."""

    def __init__(self, tmp_path):
        self.base = tmp_path
        self.root = tmp_path / 'mgr5'
        self.answers = tmp_path / 'answers'
        for sub in ('mgr5/sbin', 'mgr5/bin', 'mgr5/etc', 'mgr5/var', 'answers', 'tools', 'proc'):
            (tmp_path / sub).mkdir(parents=True)
        self.layout = MgrLayout(str(self.root))

    def install(self, relative):
        """A fake program at RELATIVE below the test's base (``mgr5/sbin/mgrctl``, ``tools/crontab``)."""
        path = self.base / relative
        path.write_text('#!%s\nANSWERS = %r\n%s' % (sys.executable, str(self.answers), FAKE_TOOL))
        path.chmod(0o755)
        return str(path)

    def answer(self, name, out='', rc=0, err='', hang=False):
        (self.answers / (name + '.out')).write_text(out)
        (self.answers / (name + '.err')).write_text(err)
        (self.answers / (name + '.rc')).write_text(str(rc))
        if hang:
            (self.answers / (name + '.hang')).write_text('')

    def calls(self, name):
        path = self.answers / (name + '.calls')
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def process(self, pid, comm, state='S'):
        (self.base / 'proc' / str(pid)).mkdir()
        (self.base / 'proc' / str(pid) / 'stat').write_text('%d (%s) %s 1 1\n' % (pid, comm, state))

    def request(self, **kwargs):
        request = FactsRequest(self.layout, Runner(local_run_command), **kwargs)
        request.paths['proc'] = str(self.base / 'proc')
        request.paths['crontab_spool'] = (str(self.base / 'spool-root'),)
        tools = self.base / 'tools'
        request.find_tool = lambda name: str(tools / name) if (tools / name).exists() else None
        return request

    def install_healthy_platform(self):
        """mgrctl that answers whoami, core that prints its version, core and ihttpd running."""
        self.install('mgr5/sbin/mgrctl')
        self.install('mgr5/bin/core')
        self.answer('mgrctl', 'name=root level=admin\n')
        self.answer('core', '6.112.0\n')
        self.process(100, 'core')
        self.process(101, 'ihttpd')
        return self
