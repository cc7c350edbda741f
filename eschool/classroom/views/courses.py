"""Views of courses: course and series pages, the parenting school, materials, managing them."""

import datetime as dt
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST, require_safe

from eschool.classroom import selectors
from eschool.classroom.forms import GradeChoiceField, NewSessionForm, SessionForm
from eschool.classroom.models import Course, Kind, Material, Speaker
from eschool.classroom.selectors import courses as course_selectors
from eschool.classroom.services import courses as course_services
from eschool.classroom.views import _public_cache, call_service, district_admin_required
from eschool.core import timeutil
from eschool.org.importing.export import content_disposition
from eschool.org.models import Grade, Stage, Subject

# Forms -----------------------------------------------------------------------------

IMAGE_ACCEPT = "image/png,image/jpeg,image/gif,image/webp"
MATERIAL_ACCEPT = ".pdf,.png,.jpg,.jpeg,.gif,.webp,.pptx,.docx,.xlsx,.ppt,.doc,.xls"


class SpeakerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return " · ".join(part for part in (obj.name, obj.title, obj.institution) if part)


class CourseForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    stage = forms.ChoiceField(
        label=gettext_lazy("Stage"),
        choices=[("", gettext_lazy("Any stage")), *Stage.choices],
        required=False,
    )
    grades = GradeChoiceField(
        label=gettext_lazy("Grades"),
        queryset=Grade.objects.order_by("level"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "Parenting courses: choose the age groups 小班, 中班 or 大班. "
            "Sessions added to the course get these grades."
        ),
    )
    subject = forms.ModelChoiceField(
        label=gettext_lazy("Subject"), queryset=Subject.objects.all(), required=False
    )
    speakers = SpeakerChoiceField(
        label=gettext_lazy("Speakers"),
        queryset=Speaker.objects.order_by("name", "id"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    cover = forms.FileField(
        label=gettext_lazy("Cover image"),
        required=False,
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
        help_text=gettext_lazy("PNG, JPEG, GIF or WebP. It is resized for phones."),
    )
    remove_cover = forms.BooleanField(label=gettext_lazy("Remove the cover"), required=False)

    @classmethod
    def initial_for(cls, course: Course) -> dict:
        return {
            "kind": course.kind,
            "title": course.title,
            "description": course.description,
            "stage": course.stage,
            "grades": list(course.grades.all()),
            "subject": course.subject,
            "speakers": list(course.speakers.all()),
        }

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"],
            "description": data["description"],
            "stage": data["stage"],
            "grades": list(data["grades"]),
            "subject": data["subject"],
            "speakers": list(data["speakers"]),
            "cover": data["cover"] or None,
        }


class CourseSessionForm(NewSessionForm):
    """A session of a course: the kind, stage, grades and subject come from the course."""

    kind = None
    stage = None
    grades = None
    subject = None
    open_to_public = forms.BooleanField(
        label=gettext_lazy("Open to outside learners"), required=False
    )

    def service_arguments(self) -> dict:
        starts_at, ends_at = self.moments()
        data = self.cleaned_data
        return {
            "starts_at": starts_at,
            "ends_at": ends_at,
            "title": data["title"],
            "teacher": data["teacher"],
            "description": data["description"],
            "capacity": data["capacity"],
            "open_to_public": data["open_to_public"],
        }


class SpeakerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("e.g. 教授, 特级教师"),
    )
    institution = forms.CharField(label=gettext_lazy("Institution"), max_length=100, required=False)
    bio = forms.CharField(
        label=gettext_lazy("Short biography"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    photo = forms.FileField(
        label=gettext_lazy("Photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": IMAGE_ACCEPT}),
        help_text=gettext_lazy("PNG, JPEG, GIF or WebP."),
    )
    remove_photo = forms.BooleanField(label=gettext_lazy("Remove the photo"), required=False)

    @classmethod
    def initial_for(cls, speaker: Speaker) -> dict:
        return {
            "name": speaker.name,
            "title": speaker.title,
            "institution": speaker.institution,
            "bio": speaker.bio,
        }

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "title": data["title"],
            "institution": data["institution"],
            "bio": data["bio"],
            "photo": data["photo"] or None,
        }


class MaterialForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    file = forms.FileField(
        label=gettext_lazy("File"),
        widget=forms.FileInput(attrs={"accept": MATERIAL_ACCEPT}),
        help_text=gettext_lazy(
            "PDF, pictures, or Word, PowerPoint and Excel files; checked by their content."
        ),
    )


# Public pages ----------------------------------------------------------------------


@require_safe
def course_detail(request, pk: int):
    at = timeutil.now()
    course = course_selectors.course_get_for_user(pk, user=request.user, at=at)
    if course is None:
        raise Http404(_("No such course."))
    episodes = course_selectors.course_episodes(course, user=request.user, at=at)
    public = course_selectors.course_is_public(course, at=at)
    response = render(
        request,
        "classroom/course_detail.html",
        {
            "course": course,
            "episodes": episodes,
            "materials": course_selectors.course_materials(course),
            "may_download": course_selectors.course_materials_downloadable(
                course, user=request.user, at=at
            ),
            "can_manage": selectors.user_manages_timetable(request.user),
            "published": public,
            "now": at,
        },
    )
    return _public_cache(response, public and not request.user.is_authenticated)


@require_safe
def lectures(request):
    response = render(
        request,
        "classroom/series_list.html",
        {
            "series": course_selectors.lecture_series(user=request.user),
            "can_manage": selectors.user_manages_timetable(request.user),
        },
    )
    return _public_cache(response, not request.user.is_authenticated)


@require_safe
def parenting(request):
    response = render(
        request,
        "classroom/parenting_list.html",
        {
            "groups": course_selectors.parenting_by_age_group(user=request.user),
            "today": timeutil.today(),
            "can_manage": selectors.user_manages_timetable(request.user),
        },
    )
    return _public_cache(response, not request.user.is_authenticated)


@require_GET
def material_download(request, pk: int):
    material = course_selectors.material_get_for_user(pk, user=request.user)
    if material is None:
        if not request.user.is_authenticated and Material.objects.filter(pk=pk).exists():
            # Logging in (and booking) may give access; say so rather than "not found".
            return redirect_to_login(request.get_full_path())
        raise Http404(_("No such material."))
    try:
        handle = material.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("No such material.")) from None
    extension = PurePath(material.file.name).suffix
    response = FileResponse(handle, content_type=material.content_type)
    response["Content-Disposition"] = content_disposition(
        f"material-{material.pk}{extension}", f"{material.title}{extension}"
    )
    response["Content-Length"] = str(material.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # The file may take minutes to reach a phone: its database connection goes back
    # now, not when the last byte is sent (eschool.core.request_line). Not inside a
    # transaction (a test's), which closing would end.
    if not connection.in_atomic_block:
        connection.close()
    return response


# Managing --------------------------------------------------------------------------


def _managed_course(pk: int) -> Course:
    course = Course.objects.filter(pk=pk).first()
    if course is None:
        raise Http404(_("No such course."))
    return course


@district_admin_required
def course_manage(request):
    return render(
        request,
        "classroom/course_manage.html",
        {"courses": course_selectors.courses_for_managing()},
    )


@district_admin_required
def course_new(request):
    if request.method == "POST":
        form = CourseForm(request.POST, request.FILES)
        if form.is_valid():
            course = call_service(
                form,
                lambda: course_services.course_create(
                    actor=request.user, **form.service_arguments()
                ),
            )
            if course is not None:
                messages.success(request, _("The course is saved."))
                return redirect("classroom:course", pk=course.pk)
    else:
        form = CourseForm(initial={"kind": request.GET.get("kind", Kind.CLASS)})
    return render(request, "classroom/course_form.html", {"form": form, "course": None})


@district_admin_required
def course_edit(request, pk: int):
    course = _managed_course(pk)
    if request.method == "POST":
        form = CourseForm(request.POST, request.FILES)
        if form.is_valid():
            saved = call_service(
                form,
                lambda: course_services.course_update(
                    actor=request.user,
                    course=course,
                    remove_cover=form.cleaned_data["remove_cover"],
                    **form.service_arguments(),
                ),
            )
            if saved is not None:
                messages.success(request, _("The course is saved."))
                return redirect("classroom:course", pk=course.pk)
    else:
        form = CourseForm(initial=CourseForm.initial_for(course))
    return render(request, "classroom/course_form.html", {"form": form, "course": course})


@district_admin_required
def course_session_new(request, pk: int):
    course = _managed_course(pk)
    if request.method == "POST":
        form = CourseSessionForm(request.POST)
        if form.is_valid():
            session = call_service(
                form,
                lambda: course_services.course_session_add(
                    actor=request.user, course=course, **form.service_arguments()
                ),
                fields={**SessionForm.SERVICE_FIELDS, "grades": None, "stage": None},
            )
            if session is not None:
                messages.success(request, _("The session is on the timetable."))
                return redirect("classroom:session", pk=session.pk)
    else:
        try:
            initial_day = dt.date.fromisoformat(request.GET.get("date", ""))
        except ValueError:
            initial_day = timeutil.today() + dt.timedelta(days=1)
        form = CourseSessionForm(
            initial={
                "title": course.title,
                "date": initial_day,
                "open_to_public": course.kind in {Kind.LECTURE, Kind.EVENT},
            },
        )
    return render(request, "classroom/course_session_form.html", {"form": form, "course": course})


@district_admin_required
def material_manage(request, pk: int):
    """The materials of a course, and the form to upload one more."""
    course = _managed_course(pk)
    if request.method == "POST":
        form = MaterialForm(request.POST, request.FILES)
        if form.is_valid():
            material = call_service(
                form,
                lambda: course_services.material_add(
                    actor=request.user,
                    course=course,
                    title=form.cleaned_data["title"],
                    file=form.cleaned_data["file"],
                ),
            )
            if material is not None:
                messages.success(request, _("The material is uploaded."))
                return redirect("classroom:material_manage", pk=course.pk)
    else:
        form = MaterialForm()
    return render(
        request,
        "classroom/material_manage.html",
        {"form": form, "course": course, "materials": course_selectors.course_materials(course)},
    )


@require_POST
@district_admin_required
def material_delete(request, pk: int):
    material = Material.objects.select_related("course").filter(pk=pk).first()
    if material is None:
        raise Http404(_("No such material."))
    course = material.course
    course_services.material_delete(actor=request.user, material=material)
    messages.success(request, _("The material is deleted."))
    return redirect("classroom:material_manage", pk=course.pk)


@district_admin_required
def speaker_manage(request):
    return render(
        request, "classroom/speaker_manage.html", {"speakers": course_selectors.speakers_all()}
    )


@district_admin_required
def speaker_new(request):
    if request.method == "POST":
        form = SpeakerForm(request.POST, request.FILES)
        if form.is_valid():
            speaker = call_service(
                form,
                lambda: course_services.speaker_create(
                    actor=request.user, **form.service_arguments()
                ),
            )
            if speaker is not None:
                messages.success(request, _("The speaker is saved."))
                return redirect("classroom:speaker_manage")
    else:
        form = SpeakerForm()
    return render(request, "classroom/speaker_form.html", {"form": form, "speaker": None})


@district_admin_required
def speaker_edit(request, pk: int):
    speaker = Speaker.objects.filter(pk=pk).first()
    if speaker is None:
        raise Http404(_("No such speaker."))
    if request.method == "POST":
        form = SpeakerForm(request.POST, request.FILES)
        if form.is_valid():
            saved = call_service(
                form,
                lambda: course_services.speaker_update(
                    actor=request.user,
                    speaker=speaker,
                    remove_photo=form.cleaned_data["remove_photo"],
                    **form.service_arguments(),
                ),
            )
            if saved is not None:
                messages.success(request, _("The speaker is saved."))
                return redirect("classroom:speaker_manage")
    else:
        form = SpeakerForm(initial=SpeakerForm.initial_for(speaker))
    return render(request, "classroom/speaker_form.html", {"form": form, "speaker": speaker})
