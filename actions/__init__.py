"""Rasa custom actions (rasa-sdk, Python 3.11): thin adapters from slots and the sender to calc/, knowledge/ and bank/.

One module per audience; `rasa_sdk --actions actions` imports this package, so every action module is
imported here.
"""

from actions import common, session  # noqa: F401  (registers the actions)
