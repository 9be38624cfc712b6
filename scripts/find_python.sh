#!/usr/bin/env bash
# Print the path of a Python interpreter of the given minor version (3.10 or 3.11), or fail with one line.
set -uo pipefail
want=$1
for candidate in "${PY:-}" "$(pyenv prefix "$want" 2>/dev/null | head -1)/bin/python$want" \
                 "$(pyenv prefix "$want.13" 2>/dev/null)/bin/python$want" "$(command -v "python$want")"; do
  if [[ -n $candidate && -x $candidate ]] && "$candidate" -c "import sys, venv; assert sys.version_info[:2] == tuple(map(int, '$want'.split('.')))" 2>/dev/null; then
    echo "$candidate"; exit 0
  fi
done
case $want in
  3.10) echo "Python 3.10 is required for Rasa 3.6 but was not found: run 'pyenv install 3.10.13' or 'apt-get install python3.10 python3.10-venv' (or set PY310=/path/to/python3.10)." >&2 ;;
  *) echo "Python $want was not found: run 'pyenv install $want' or 'apt-get install python$want python$want-venv'." >&2 ;;
esac
exit 1
