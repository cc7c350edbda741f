import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from eschool.accounts.models import Teacher
from eschool.classroom.models import Session
from eschool.classroom.services.booking import MAX_SEATS
from eschool.core import timeutil
from eschool.org.models import Grade, Stage, Subject
from eschool.org.stages import stage_grades_error


class GradeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class SessionForm(forms.Form):
    """A session as an administrator types it: a local date and local times."""

    title = forms.CharField(label=_("Title"), max_length=200)
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start = forms.TimeField(
        label=_("Starts at"),
        help_text=_("Beijing time, e.g. 08:00"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end = forms.TimeField(
        label=_("Ends at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Session.Kind.choices)
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    grades = GradeChoiceField(
        label=_("Grades"),
        queryset=Grade.objects.order_by("level"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only grades of the chosen stage."),
    )
    subject = forms.ModelChoiceField(
        label=_("Subject"), queryset=Subject.objects.all(), required=False
    )
    teacher = forms.CharField(
        label=_("Teacher's staff number"),
        max_length=40,
        required=False,
        help_text=_("The number the teacher logs in with, e.g. T0001. Leave empty for none."),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )

    @classmethod
    def initial_for(cls, session: Session) -> dict:
        start = timeutil.local(session.starts_at)
        end = timeutil.local(session.ends_at)
        return {
            "title": session.title,
            "date": start.date(),
            "start": start.time(),
            "end": end.time(),
            "kind": session.kind,
            "stage": session.stage,
            "grades": list(session.grades.all()),
            "subject": session.subject,
            "teacher": session.teacher.user.username if session.teacher else "",
            "description": session.description,
        }

    def clean_teacher(self) -> Teacher | None:
        number = self.cleaned_data["teacher"].strip()
        if not number:
            return None
        teacher = (
            Teacher.objects.select_related("user").filter(user__username__iexact=number).first()
        )
        if teacher is None:
            raise forms.ValidationError(
                _("No teacher has the staff number %(number)s."), params={"number": number}
            )
        return teacher

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            self.add_error("end", _("The end must be after the start."))
        wrong_grades = stage_grades_error(stage=data.get("stage"), grades=data.get("grades") or [])
        if wrong_grades:
            self.add_error("grades", wrong_grades)
        return data

    def moments(self) -> tuple[dt.datetime, dt.datetime]:
        """The aware start and end moments of the cleaned local date and times."""
        day = self.cleaned_data["date"]
        return (
            timeutil.at_local(day, self.cleaned_data["start"]),
            timeutil.at_local(day, self.cleaned_data["end"]),
        )

    def service_arguments(self) -> dict:
        starts_at, ends_at = self.moments()
        data = self.cleaned_data
        return {
            "starts_at": starts_at,
            "ends_at": ends_at,
            "stage": data["stage"],
            "grades": list(data["grades"]),
            "title": data["title"],
            "kind": data["kind"],
            "subject": data["subject"],
            "teacher": data["teacher"],
            "description": data["description"],
        }

    # Errors from the services are keyed by their argument names.
    SERVICE_FIELDS = {"starts_at": "start", "ends_at": "end"}


class NewSessionForm(SessionForm):
    """A session as it is put on the timetable, with its seats.

    The edit form has no seats: changing them moves the waitlist, which the
    roster's seat form does (booking.session_capacity_set).
    """

    # The bounds only shape the number input; the seat rule (a district event has
    # none) is the service's, which refuses on this field.
    capacity = forms.IntegerField(
        label=_("Seats"),
        min_value=1,
        max_value=MAX_SEATS,
        required=False,
        help_text=_("Leave empty for unlimited seats (district events always are)."),
    )

    def service_arguments(self) -> dict:
        return {**super().service_arguments(), "capacity": self.cleaned_data["capacity"]}


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown to the public and to those who booked)"), max_length=200
    )
