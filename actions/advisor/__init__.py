"""Advisor journeys in chat: client profile, maturity calendar, prospects, proposals, back-test, contacts,
own dashboard, learning material and the morning briefing. Importing the package registers every advisor action with rasa-sdk."""

from actions.advisor import (  # noqa: F401  (registers the actions)
    backtest,
    briefing,
    calendar,
    contacts,
    dashboard,
    learning,
    profile,
    proposals,
    prospects,
)
