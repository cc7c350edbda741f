"""Chapters of a replay: the teacher adds and removes them beside the video (htmx)."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from eschool.live import selectors, services
from eschool.live.models import Chapter, Recording

CLOCK = re.compile(r"^(?:(\d{1,2}):)?(\d{1,3}):(\d{2})$")


def parse_clock(value: str) -> int | None:
    """ "12:34" or "1:02:03" (or plain seconds) -> seconds; None when it is not a time."""
    value = (value or "").strip().replace("：", ":")
    if value.isdigit():
        return int(value)
    match = CLOCK.match(value)
    if not match:
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    if seconds >= 60 or (hours and minutes >= 60):
        return None
    return hours * 3600 + minutes * 60 + seconds


class ChapterForm(forms.Form):
    at = forms.CharField(
        label=gettext_lazy("Time (mm:ss)"),
        max_length=9,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "05:30"}),
    )
    title = forms.CharField(label=gettext_lazy("Chapter title"), max_length=120)

    def clean_at(self) -> int:
        seconds = parse_clock(self.cleaned_data["at"])
        if seconds is None:
            raise ValidationError(_("Write the time as minutes:seconds, for example 05:30."))
        return seconds


def _fragment(request, recording: Recording, form: ChapterForm | None = None):
    return render(
        request,
        "live/_chapters.html",
        {
            "replay": recording,
            "session": recording.session,
            "replay_chapters": selectors.chapters_of(recording),
            "manages_chapters": True,
            "chapter_form": form or ChapterForm(),
        },
    )


def _after(request, recording: Recording, form: ChapterForm | None = None):
    # htmx swaps the chapter list in place; a plain form post goes back to the session page.
    if request.headers.get("HX-Request"):
        return _fragment(request, recording, form)
    if form is not None:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return redirect("classroom:session", pk=recording.session_id)


@require_POST
def chapter_add(request, recording_pk: int):
    recording = Recording.objects.select_related("session").filter(pk=recording_pk).first()
    if recording is None:
        raise Http404(_("No such recording."))
    if not services.user_manages_recordings(request.user, recording.session):
        raise PermissionDenied
    form = ChapterForm(request.POST)
    if form.is_valid():
        try:
            services.chapter_add(
                actor=request.user,
                recording=recording,
                at_seconds=form.cleaned_data["at"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                field = {"at_seconds": "at"}.get(name, name)
                form.add_error(field if field in form.fields else None, problems)
        else:
            form = None
    return _after(request, recording, form)


@require_POST
def chapter_remove(request, pk: int):
    chapter = Chapter.objects.select_related("recording__session").filter(pk=pk).first()
    if chapter is None:
        raise Http404(_("No such chapter."))
    services.chapter_remove(actor=request.user, chapter=chapter)
    return _after(request, chapter.recording)
