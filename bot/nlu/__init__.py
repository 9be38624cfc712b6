"""Custom Rasa NLU components (loaded by the Rasa process, Python 3.10)."""
