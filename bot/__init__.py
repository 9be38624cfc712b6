"""Rasa-side code: training data under data/, custom input channels under channels/."""
