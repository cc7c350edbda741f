from dataclasses import dataclass

from django import template
from django.utils.translation import gettext as _

from eschool.chat import selectors

register = template.Library()


@dataclass
class ChatPanel:
    readable: bool
    can_post: bool
    moderator: bool
    polls: bool  # a district event's viewer: reads recent.json, no socket
    max_length: int
    strings: dict
    strings_id: str


def _strings() -> dict:
    # What chat.js shows, in the page's language.
    return {
        "hide": _("Hide"),
        "mute": _("Mute 10 min"),
        "unmute": _("Unmute"),
        "pin": _("Pin"),
        "unpin": _("Unpin"),
        "markAnswered": _("Mark answered"),
        "markUnanswered": _("Not answered"),
        "answered": _("Answered"),
        "teacher": _("Teacher"),
        "pinned": _("Pinned"),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost; reconnecting…"),
        "notAllowed": _("You cannot see this chat."),
        "replay": _("Chat from the broadcast, shown as the replay plays."),
        "emptyChat": _("No messages yet."),
        "emptyQuestions": _("No questions yet."),
        "couldNotLoad": _("The chat could not be loaded."),
        "muteOf": _("Mute %(name)s for 10 minutes?"),
        "hideFailed": _("The message could not be hidden. Please try again."),
    }


@register.simple_tag(takes_context=True)
def chat_panel(context, session) -> ChatPanel:
    """{% chat_panel session as chat %}: what the panel offers this visitor (no queries
    beside the live player's)."""
    user = context.get("user")
    # The live player (live/_player.html) already knows whether this visitor may watch.
    player = context.get("lp")
    readable = player["may_watch"] if player else selectors.may_read(user, session)
    return ChatPanel(
        readable=readable,
        can_post=selectors.user_may_post(user, session, readable=readable),
        moderator=selectors.user_moderates(user, session),
        polls=selectors.reads_by_polling(user, session),
        max_length=selectors.max_length(),
        strings=_strings(),
        strings_id=f"chat-strings-{session.pk}",
    )
