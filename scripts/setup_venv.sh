#!/usr/bin/env bash
# Create or update a virtual environment from pinned files; skip all work when they have not changed.
# usage: setup_venv.sh VENV PYTHON LOCK [NODEPS_FILE]
set -euo pipefail
venv=$1 python=$2 lock=$3 nodeps=${4:-}
stamp="$venv/.installed"
want=$( (cat "$lock"; [[ -n $nodeps ]] && cat "$nodeps"; echo "$python") | sha256sum | cut -d' ' -f1)
if [[ -x $venv/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
echo "==> setting up $venv from $lock (a few minutes the first time)"
[[ -x $venv/bin/python ]] || "$python" -m venv "$venv"
pip_install() {
  # This machine's pip config lists local indexes that may be absent; hide pip's warnings about them.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" 2>&1 \
    | { grep -v "neither a file nor a directory" || true; }
  return "${PIPESTATUS[0]}"
}
pip_install --upgrade "pip==24.2"
pip_install -r "$lock"
if [[ -n $nodeps ]]; then
  pip_install --no-deps -r "$nodeps"
fi
echo "$want" > "$stamp"
echo "==> $venv ready"
