"""Parsers of chat wording (amounts, ages, years, rates, periods, names, yes/no) shared by both environments.

A leaf: standard library only, so the Rasa process (Python 3.10) and the action server (3.11) import it alike.
Every reader holds to lexicon.bounds (text length, digits, magnitude) and never raises for any text.
"""
