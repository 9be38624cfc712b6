"""A replay of a turn that already ran: the channels answer it from the conversation's tracker (a module of its
own because it needs Rasa; bot/channels/_worker.py, which the main environment's tests import, must not)."""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import OutputChannel
from rasa.shared.core.events import BotUttered, UserUttered

from wecom.inbox import Entry
from wecom.masking import mask_id

logger = logging.getLogger(__name__)


async def replay_from_tracker(app: Any, entry: Entry, output: OutputChannel) -> bool:
    """Answer a message whose turn completed in Rasa (its user message is in the conversation's tracker) but
    whose replies were never stored: the process died between saving the tracker and storing the replies.
    Running the turn again would answer it in the conversation's new state (a form one question further on);
    instead the bot messages the tracker recorded for it go to `output` again, as Rasa sent them. False when
    the tracker does not hold the message (the turn must run), or there is no tracker store to ask.
    """
    store = getattr(getattr(getattr(app, "ctx", None), "agent", None), "tracker_store", None)
    tracker = await store.retrieve(entry.sender) if store is not None else None
    if tracker is None:
        return False
    answered: list[BotUttered] = []
    found = False
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if found:
                break
            found = event.message_id == entry.message_id
        elif found and isinstance(event, BotUttered):
            answered.append(event)
    if not found:
        return False
    logger.warning("message of %s answered from the tracker: its turn ran before a restart, its %d replies "
                   "were not stored", mask_id(entry.sender), len(answered))
    for event in answered:
        await output.send_response(entry.sender, event.message())
    return True
