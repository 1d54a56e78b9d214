"""What AWX does with a project made of this repository, and the execution environment it runs in.

AWX's project sync installs collections/requirements.yml (ansible-galaxy run from the project root)
into a directory of its own, then each job runs the playbook through ansible-runner with that
directory as ANSIBLE_COLLECTIONS_PATH and the survey's answers as strings.
"""

import json
import os
import subprocess

import ansible_runner
import pytest
import yaml

from conftest import REPO, VENV_BIN, ansible_env

# What an AWX survey sends: every answer a string.
SURVEY_ANSWERS = {'billmgr_health_fail_on': 'never', 'billmgr_health_log_window': '24h',
                  'billmgr_health_disk_used_warning_pct': '85', 'billmgr_health_since_last_sweep': 'false'}


def awx_env(collections):
    """Ansible's environment as in an AWX job: COLLECTIONS the only place collections are found (this
    checkout's .build link, on the test run's PYTHONPATH, must not be)."""
    env = ansible_env({'ANSIBLE_COLLECTIONS_PATH': str(collections), 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false'})
    env.pop('PYTHONPATH', None)
    return env


def install_project_collections(destination):
    """AWX's project sync: `ansible-galaxy collection install -r collections/requirements.yml` in the
    project root, into a path of its own that is also the only collections path."""
    env = awx_env(destination)
    proc = subprocess.run([str(VENV_BIN / 'ansible-galaxy'), 'collection', 'install', '-r',
                           'collections/requirements.yml', '--collections-path', str(destination)],
                          cwd=str(REPO), capture_output=True, text=True, env=env, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return destination / 'ansible_collections' / 'billmgr' / 'ops'


@pytest.fixture(scope='module')
def awx_job(lab, tmp_path_factory):
    base = tmp_path_factory.mktemp('awx')
    installed = install_project_collections(base / 'requirements_collections')
    ghost = base / 'ghost.yml'
    # An address nobody listens on: AWX must show this host as unreachable, the others as swept.
    ghost.write_text('billmgr:\n  hosts:\n    ghost:\n      ansible_host: 127.0.0.250\n')
    (base / 'runner').mkdir()
    env = awx_env(base / 'requirements_collections')
    saved_path = os.environ['PATH']
    # ansible-runner looks ansible-playbook up on PATH, as AWX's execution environment has it.
    os.environ['PATH'] = '%s:%s' % (VENV_BIN, saved_path)
    try:
        result = ansible_runner.run(
            private_data_dir=str(base / 'runner'),
            project_dir=str(REPO),
            playbook='playbooks/health.yml',
            inventory=[lab.inventory, str(ghost)],
            extravars=dict(SURVEY_ANSWERS, billmgr_report_dir=str(base / 'reports')),
            envvars={key: env[key] for key in ('ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH',
                                               'ANSIBLE_CONFIG')},
            quiet=True,
        )
    finally:
        os.environ['PATH'] = saved_path
    return installed, base, result


def stats_event(result):
    return [event for event in result.events if event.get('event') == 'playbook_on_stats'][-1]['event_data']


def test_the_job_runs_the_collection_installed_from_the_project(awx_job):
    installed, _, result = awx_job
    assert (installed / 'MANIFEST.json').is_file()
    # Development files stay out, as in the published tarball.
    assert not (installed / 'tests').exists() and not (installed / 'Makefile').exists()
    task_paths = {event['event_data'].get('task_path', '') for event in result.events
                  if event.get('event') == 'playbook_on_task_start'}
    role_tasks = {path for path in task_paths if '/roles/' in path}
    assert role_tasks and all(path.startswith(str(installed)) for path in role_tasks), role_tasks


def test_an_unreachable_host_is_dark_not_failed(awx_job, lab):
    _, _, result = awx_job
    stats = stats_event(result)
    assert set(stats['dark']) == {'ghost'}, stats
    assert 'ghost' not in stats['failures'], stats
    # fail_on never: no swept host fails; the unreachable one makes the job end as AWX expects.
    assert not stats['failures'], stats
    assert result.rc == 4 and result.status == 'failed', (result.rc, result.status)
    assert set(stats['ok']) >= set(lab.hosts)


def test_the_summary_is_in_the_set_stats_artifact(awx_job, lab):
    _, base, result = awx_job
    summary = stats_event(result)['artifact_data']['billmgr_report_summary']
    assert summary['hosts'] == len(lab.hosts) + 1
    assert summary['hosts_unreachable'] == 1 and summary['unreachable_hosts'] == ['ghost']
    assert set(summary['findings']) >= {'critical', 'warning', 'info'}
    assert summary['report_dir'].startswith(str(base / 'reports'))
    # The same data is on disk, where an AWX job's artifacts are collected from.
    artifacts = list((base / 'runner' / 'artifacts').glob('*/job_events/*.json'))
    assert any('billmgr_report_summary' in path.read_text() for path in artifacts)


# ---------------------------------------------------------------- the execution environment

def test_execution_environment_context_installs_the_local_build(tmp_path):
    context = tmp_path / 'ee'
    proc = subprocess.run(['make', '-s', 'ee-context', 'EE_CONTEXT=%s' % context, 'DIST=%s' % (tmp_path / 'dist')],
                          cwd=str(REPO), capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    definition = yaml.safe_load((REPO / 'extensions' / 'ee' / 'execution-environment.yml').read_text())
    assert definition['version'] == 3
    base_image = definition['images']['base_image']['name']
    assert '@sha256:' in base_image or (':' in base_image.rsplit('/', 1)[-1]
                                        and not base_image.endswith(':latest')), base_image
    build = context / 'context' / '_build'
    containerfile = next(path for path in (context / 'context').iterdir() if path.name in ('Containerfile', 'Dockerfile'))
    assert 'ansible-galaxy collection install' in containerfile.read_text()
    # What the image's galaxy stage runs, in the directory it runs in.
    target = tmp_path / 'image_collections'
    proc = subprocess.run([str(VENV_BIN / 'ansible-galaxy'), 'collection', 'install', '-r', 'requirements.yml',
                           '--collections-path', str(target)], cwd=str(build), capture_output=True, text=True,
                          env=awx_env(target), timeout=600,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = json.loads((target / 'ansible_collections' / 'billmgr' / 'ops' / 'MANIFEST.json').read_text())
    galaxy = yaml.safe_load((REPO / 'galaxy.yml').read_text())
    assert manifest['collection_info']['version'] == galaxy['version']


def test_collection_ee_metadata_points_at_real_files():
    meta = yaml.safe_load((REPO / 'meta' / 'execution-environment.yml').read_text())
    for kind in ('python', 'system'):
        assert (REPO / meta['dependencies'][kind]).is_file(), kind
    # The collection's controller side imports nothing outside ansible-core and the stdlib.
    proc = subprocess.run([str(VENV_BIN / 'python'), '-c', 'import ansible_collections.billmgr.ops.plugins.filter.health, '
                           'ansible_collections.billmgr.ops.plugins.filter.report'],
                          capture_output=True, text=True, env=ansible_env({'PYTHONPATH': str(REPO / '.build')}))
    assert proc.returncode == 0, proc.stderr
