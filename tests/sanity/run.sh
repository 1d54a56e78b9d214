#!/usr/bin/env bash
# ansible-test sanity on exactly what the collection ships: build the artifact (galaxy.yml's
# build_ignore drops the lab and the integration harness), install it into an
# ansible_collections tree, and run the sanity tests there with the ignore files empty.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
venv=$root/.venv
# Outside the work tree: inside a git checkout ansible-test lists files through git, and the
# ignored build directory would leave it nothing to test.
out=$(mktemp -d /tmp/billmgr-ops-sanity.XXXXXX)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/dist"
for f in tests/sanity/ignore-*.txt; do
    if [ -s "$f" ]; then echo "sanity: $f must stay empty" >&2; exit 1; fi
done
"$venv/bin/ansible-galaxy" collection build --force --output-path "$out/dist" . >/dev/null
ANSIBLE_COLLECTIONS_PATH="$out" "$venv/bin/ansible-galaxy" collection install --force -p "$out" "$out"/dist/billmgr-ops-*.tar.gz >/dev/null
# The pip version ansible-test bootstraps its sanity venvs with, read from ansible-test itself.
pip_version=$(grep -oP "pip='\K[0-9.]+" "$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py" | head -1)
cache=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
mkdir -p "$(dirname "$cache")"
if [ ! -s "$cache" ] || grep -q "Stand-in for the get-pip.py" "$cache"; then
    cp .ci/get_pip_offline.py "$cache"
fi
cd "$out/ansible_collections/billmgr/ops"
export PATH="$venv/bin:$PATH"
python_version=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
"$venv/bin/ansible-test" sanity --local --requirements --python "$python_version" --color no "$@"
