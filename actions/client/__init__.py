"""Client journeys in chat: check-up, risk assessment, statement, score, rewards, and the four plans.

`actions/__init__.py` imports this package; importing it registers every client action with rasa-sdk.
The plans module (actions/client/plans.py) is written separately and imported when present.
"""

import importlib
import importlib.util

from actions.client import checkup, risk, wealth  # noqa: F401  (registers the actions)

if importlib.util.find_spec("actions.client.plans") is not None:
    importlib.import_module("actions.client.plans")
