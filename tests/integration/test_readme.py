"""The README's commands run as printed: its lab block against the lab, and every playbook command
names a playbook of the collection in the form an installed collection runs."""

import re
import shlex
import subprocess

from conftest import REPO, ansible_env

README = REPO / 'README.md'
PLAYBOOKS = REPO / 'playbooks'


def sh_block_after(heading):
    text = README.read_text()
    section = text[text.index(heading):]
    block = re.search(r'```sh\n(.*?)```', section, re.S).group(1)
    lines = []
    for line in block.splitlines():
        command = re.split(r'\s+#', line)[0].strip()
        if command:
            lines.append(command)
    return lines


def all_sh_commands():
    text = README.read_text()
    commands = []
    for block in re.findall(r'```sh\n(.*?)```', text, re.S):
        joined = block.replace('\\\n', ' ')
        commands += [re.split(r'\s+#', line)[0].strip() for line in joined.splitlines()]
    return [command for command in commands if command]


def make_variables(command):
    """make lab-up's VAR=value words, refusing any the Makefile does not read."""
    words = shlex.split(command)
    assert words[:2] == ['make', 'lab-up'], command
    variables = dict(word.split('=', 1) for word in words[2:])
    makefile = (REPO / 'Makefile').read_text()
    for name in variables:
        assert re.search(r'^%s\s+\?=' % name, makefile, re.M), (name, command)
    return variables


def test_every_playbook_command_names_a_playbook_of_the_collection():
    commands = [c for c in all_sh_commands() if c.startswith('ansible-playbook')]
    assert len(commands) >= 10, commands
    for command in commands:
        words = shlex.split(command)
        playbook = next(word for word in words[1:] if word.startswith('billmgr.ops.') or word.endswith('.yml')
                        and not word.startswith(('.lab', 'inventory', '@')))
        assert playbook.startswith('billmgr.ops.'), command
        assert (PLAYBOOKS / (playbook.split('.')[-1] + '.yml')).is_file(), command
        if playbook == 'billmgr.ops.debug':
            assert '-l' in words or any('debug_hosts' in w for w in words), command


def test_the_lab_commands_run_as_printed(lab_manager):
    commands = sh_block_after('## The lab')
    assert any(c.startswith('make lab-up') for c in commands)
    try:
        for command in commands:
            if command.startswith('make lab-up'):
                # The same call labctl makes for `make lab-up`; this session already holds the lab
                # lock, which labctl (rightly) refuses to take from a running test session.
                variables = make_variables(command)
                light = {'yes': True, 'no': False}.get(variables.get('LIGHT', 'auto'))
                state = lab_manager.fleet.up(hosts=int(variables['HOSTS']) if 'HOSTS' in variables else None,
                                             scenario_path=str(REPO / variables['SCENARIO']), light=light,
                                             lock_held=True)
                assert state['hosts']
                inventory = (REPO / '.lab' / 'inventory.yml').read_text()
                assert all(name in inventory for name in state['hosts'])
                if 'HOSTS' in variables:
                    assert len(state['hosts']) == int(variables['HOSTS'])
                continue
            proc = subprocess.run(['bash', '-c', command], cwd=str(REPO), capture_output=True, text=True,
                                  env=ansible_env(), timeout=1200, stdin=subprocess.DEVNULL)
            assert proc.returncode == 0, (command, proc.stdout[-3000:], proc.stderr[-3000:])
    finally:
        lab_manager.stop()
