"""Client journeys in chat: check-up, risk assessment, statement, score, rewards, and the four plans."""
