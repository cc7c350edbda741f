"""The district's page for its sensitive-word list (/manage/safety/words/)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from eschool.safety import services
from eschool.safety.models import SensitiveWord

SHOWN_AT_MOST = 2000


def words_manager_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not services.user_manages_words(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, *, status=200, **context):
    query = request.GET.get("q", "").strip()[:50]
    words = SensitiveWord.objects.order_by("word")
    if query:
        words = words.filter(word__contains=services.normalise_word(query) or query)
    context.setdefault("added", "")
    context.setdefault("pasted", "")
    return render(
        request,
        "safety/words.html",
        {
            "words": list(words[:SHOWN_AT_MOST]),
            "total": SensitiveWord.objects.count(),
            "shown_at_most": SHOWN_AT_MOST,
            "query": query,
            **context,
        },
        status=status,
    )


@words_manager_required
@require_GET
def words(request):
    return _page(request)


@words_manager_required
@require_POST
def word_add(request):
    word = request.POST.get("word", "")
    try:
        row = services.word_add(actor=request.user, word=word)
    except services.WordRefused as refused:
        return _page(request, status=400, add_error=refused.message, added=word)
    messages.success(request, _("“%(word)s” is on the list.") % {"word": row.word})
    return redirect("safety:words")


@words_manager_required
@require_POST
def words_import(request):
    pasted = request.POST.get("words", "")
    try:
        result = services.words_import(actor=request.user, pasted=pasted)
    except services.WordRefused as refused:
        return _page(
            request,
            status=400,
            import_error=refused.message,
            import_problems=refused.problems,
            pasted=pasted,
        )
    messages.success(
        request,
        ngettext("%(count)s word added.", "%(count)s words added.", len(result.added))
        % {"count": len(result.added)}
        + " "
        + ngettext(
            "%(count)s was already on the list.",
            "%(count)s were already on the list.",
            len(result.already),
        )
        % {"count": len(result.already)},
    )
    return redirect("safety:words")


@words_manager_required
@require_POST
def word_remove(request, pk: int):
    services.word_remove(actor=request.user, word_id=pk)
    messages.success(request, _("The word was removed from the list."))
    return redirect("safety:words")
