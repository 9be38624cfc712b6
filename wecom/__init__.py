"""WeCom API client, crypto, message builders, the inbox and outbox tables, shared by both Python environments."""
