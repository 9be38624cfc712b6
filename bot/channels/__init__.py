"""Rasa input channels for WeCom (app chat) and 微信客服 (kf); the REST channel is built into Rasa."""
