"""The use cases: each module takes plain arguments and a SQLAlchemy session and returns plain results.

Chat actions, web routers and scheduled jobs call the same functions; business rules live here or in calc/,
records in bank/.
"""
