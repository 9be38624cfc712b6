"""Rasa custom actions (rasa-sdk, Python 3.11): thin adapters from slots and the sender to services/.

One module per audience. `rasa_sdk --actions actions` walks this package and imports every module in it,
which registers each `Action` subclass; nothing needs importing here by hand.
"""
