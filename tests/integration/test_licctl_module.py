"""billmgr.ops.licctl over SSH against the lab.

Only bm02 (license_unlinked) is changed; its license state, license file and licctl.log are put
back afterwards, so later tests still find it unlinked (and the key is not left in its log).
"""

import pytest

LICCTL = 'billmgr.ops.licctl'
KEY = 'INTEG-7F3A-KEY-0C1D-9E2B'
RESTORED = ('lab/license.json', 'etc/billmgr.lic', 'var/licctl.log')


def run(lab, host, args, **kwargs):
    results, proc = lab.module(host, LICCTL, args, verbosity=3, **kwargs)
    assert host in results, proc.stdout + proc.stderr
    return results[host], proc.stdout + proc.stderr


@pytest.fixture
def bm02_restored(lab):
    saved = {}
    for relative in RESTORED:
        path = lab.host_path('bm02', relative)
        saved[path] = path.read_bytes() if path.exists() else None
    yield
    for path, data in saved.items():
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)


def test_a_valid_license_is_left_alone(lab):
    before = lab.host_path('bm01', 'var/licctl.log').read_bytes()
    result, output = run(lab, 'bm01', None)
    assert not result.get('failed'), output
    assert (result['changed'], result['fetched']) == (False, False)
    assert result['license']['linked'] is True
    assert lab.host_path('bm01', 'var/licctl.log').read_bytes() == before


def test_links_bm02_once_and_the_key_shows_nowhere(lab, bm02_restored):
    checked, output = run(lab, 'bm02', {'key': KEY}, check=True)
    assert (checked['changed'], checked['fetched']) == (True, False), output
    assert 'no license is linked' in checked['reason']
    assert lab.ssh('bm02', 'licctl info billmgr').stdout.splitlines()[0] == 'ID: 0'
    outputs = [output]

    first, output = run(lab, 'bm02', {'key': KEY})
    outputs.append(output)
    assert not first.get('failed'), output
    assert (first['changed'], first['fetched']) == (True, True)
    assert first['license']['linked'] is True and first['license']['days_left'] > 300
    assert first['cmd'][-1] == '********'
    assert lab.ssh('bm02', 'licctl info billmgr').stdout.splitlines()[0] != 'ID: 0'
    # The lab's licctl logs the key, as the real one does: the module must have masked it, not avoided it.
    assert KEY in lab.host_path('bm02', 'var/licctl.log').read_text()

    second, output = run(lab, 'bm02', {'key': KEY})
    outputs.append(output)
    assert (second['changed'], second['fetched']) == (False, False)

    for text in outputs:
        assert KEY not in text
