from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from eschool.accounts.models import Teacher
from eschool.core.text import join_list
from eschool.org.models import Grade, Subject
from eschool.tutoring.models import GradeBand, TutoringSettings
from eschool.tutoring.selectors import grade_bands
from eschool.tutoring.services.asking import MAX_TEXT


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to three photos in one input; each is checked by the service, from its content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            # No "capture": with it a phone opens only its camera, one shot per pick; without
            # it the phone offers the camera, the gallery and files, several at once.
            MultipleFileInput(attrs={"accept": "image/*", "data-max-photos": "3"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultiplePhotoField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class AskForm(forms.Form):
    subject = forms.ModelChoiceField(Subject.objects.all(), label=_("Subject"))
    grade = forms.ModelChoiceField(Grade.objects.filter(level__gte=1), label=_("Grade"))
    text = forms.CharField(
        label=_("Your question"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    photos = MultiplePhotoField(
        label=_("Photos (up to 3)"),
        required=False,
        help_text=_("Take a photo of the exercise or choose pictures (PNG, JPEG, GIF, WebP)."),
    )

    def __init__(self, *args, subjects=None, on_duty=None, on_duty_label="", **kwargs):
        """`on_duty`: the ids of the subjects a teacher serves for the student's grade that
        evening; they come first, under `on_duty_label`, and the others under a heading that
        says they get a written answer, so nobody waits live for a subject nobody answers."""
        super().__init__(*args, **kwargs)
        field = self.fields["subject"]
        if subjects is not None:
            field.queryset = subjects
        if on_duty:
            every = list(field.queryset)
            served = [(s.pk, str(s)) for s in every if s.pk in on_duty]
            others = [(s.pk, str(s)) for s in every if s.pk not in on_duty]
            field.choices = [("", field.empty_label), (on_duty_label, served)] + (
                [(_("No teacher on duty: written answer only"), others)] if others else []
            )


class EditForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5})
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Written answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )


class ShiftForm(forms.Form):
    day = forms.DateField(label=_("Evening"), widget=forms.DateInput(attrs={"type": "date"}))
    subjects = forms.ModelMultipleChoiceField(
        Subject.objects.all(), label=_("Subjects"), widget=forms.CheckboxSelectMultiple
    )
    band = forms.ModelChoiceField(GradeBand.objects.filter(served=True), label=_("Grade band"))

    def __init__(self, *args, subjects=None, **kwargs):
        super().__init__(*args, **kwargs)
        if subjects is not None:
            self.fields["subjects"].queryset = subjects


def _offer_colleagues(field: forms.ModelChoiceField, colleagues) -> None:
    """Offer only `colleagues` (Teacher rows, subjects prefetched), each by name and the
    subjects they teach in the reader's language; the choices are built here, so many forms
    on one page cost no query each."""
    field.queryset = Teacher.objects.filter(pk__in=[teacher.pk for teacher in colleagues])
    field.choices = [("", field.empty_label)] + [
        (teacher.pk, _colleague_label(teacher)) for teacher in colleagues
    ]


def _colleague_label(teacher: Teacher) -> str:
    subjects = join_list(teacher.subjects.all())
    return f"{teacher.user.name} · {subjects}" if subjects else teacher.user.name


class SwapForm(forms.Form):
    """A teacher asks to be relieved of a shift, proposing one of `colleagues` (the ones
    qualified for it: selectors.shift_colleagues)."""

    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    proposed = forms.ModelChoiceField(
        Teacher.objects.none(),
        label=_("Colleague who could take it (optional)"),
        required=False,
    )

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_colleagues(self.fields["proposed"], colleagues)


class SwapDecisionForm(forms.Form):
    """The administrator's choice of substitute among `colleagues` (qualified for the shift)."""

    substitute = forms.ModelChoiceField(
        Teacher.objects.none(), label=_("Substitute"), required=False
    )

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_colleagues(self.fields["substitute"], colleagues)


# ISO weekday numbers, as TutoringSettings.weekdays stores them ("1,2,3,4,5,6" is Mon–Sat).
SERVICE_DAYS = [
    (1, pgettext_lazy("day of service", "Monday")),
    (2, pgettext_lazy("day of service", "Tuesday")),
    (3, pgettext_lazy("day of service", "Wednesday")),
    (4, pgettext_lazy("day of service", "Thursday")),
    (5, pgettext_lazy("day of service", "Friday")),
    (6, pgettext_lazy("day of service", "Saturday")),
    (7, pgettext_lazy("day of service", "Sunday")),
]


class SettingsForm(forms.ModelForm):
    # Ticked days, saved in the row's own format (sorted numbers joined by commas), which is
    # what the window and shift services read.
    weekdays = forms.TypedMultipleChoiceField(
        choices=SERVICE_DAYS,
        coerce=int,
        label=capfirst(TutoringSettings._meta.get_field("weekdays").verbose_name),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one day of service.")},
    )
    # Not a field of the settings row: each grade band carries its own "served" flag.
    bands = forms.ModelMultipleChoiceField(
        GradeBand.objects.all(),
        label=_("Grade bands served"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bands"].queryset = grade_bands(served_only=False)
        self.fields["bands"].initial = list(grade_bands().values_list("pk", flat=True))
        if not self.is_bound:
            self.initial["weekdays"] = sorted(self.instance.weekday_numbers)

    class Meta:
        model = TutoringSettings
        fields = [
            "window_start",
            "window_end",
            "weekdays",
            "holidays_off",
            "subjects",
            "outside_learners_allowed",
            "offer_seconds",
            "default_session_limit",
            "late_after_minutes",
            "photo_retention_days",
        ]
        widgets = {
            "window_start": forms.TimeInput(attrs={"type": "time"}),
            "window_end": forms.TimeInput(attrs={"type": "time"}),
            "subjects": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "subjects": _("None ticked: every subject is served."),
        }

    def clean_weekdays(self):
        return ",".join(str(day) for day in sorted(self.cleaned_data["weekdays"]))
