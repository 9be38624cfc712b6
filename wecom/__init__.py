"""WeCom API client, crypto, message builders and send queue, shared by both Python environments."""
