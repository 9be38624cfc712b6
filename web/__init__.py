"""The FastAPI web app: health, OpenAPI docs, and (as issues land) proposal pages, dashboards and the chat page."""
