"""The pages: asking with a photo, the wait status, duty, the board, records, history, access."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from eschool.accounts.models import Teacher, User
from eschool.core.testing import NOT_DISTRICT_ADMINS
from eschool.org.models import Grade, Subject
from eschool.tutoring.models import Question, Shift, TutoringSession
from eschool.tutoring.services import asking, matching

from .conftest import MONDAY, TUESDAY, make_teacher, maths, on_duty, photo_upload, shanghai

pytestmark = pytest.mark.django_db


def ask(user, **extra):
    return asking.question_ask(
        asker=user, subject=maths(), grade=Grade.objects.get(level=7), text="分数怎么加？", **extra
    )


def test_the_ask_form_defaults_to_the_students_grade(clock, client, student):
    client.force_login(student)
    response = client.get(reverse("tutoring:ask"))
    assert response.status_code == 200
    assert response.context["form"].initial["grade"] == Grade.objects.get(level=7)
    # No capture attribute: a phone offers its camera, its gallery and files, several at once.
    page = response.content.decode()
    assert '<input type="file" name="photos" accept="image/*" data-max-photos="3"' in page
    assert "multiple" in page.split('name="photos"')[1].split(">")[0]
    assert "capture" not in page


def test_the_ask_form_puts_first_the_subjects_served_tonight_for_the_students_band(
    clock, client, student, teachers, school_a
):
    from eschool.tutoring.models import GradeBand

    senior = make_teacher("T7600", "高中物理", school=school_a, subjects=("物理",))
    shift = on_duty(senior, subjects=("物理",))
    Shift.objects.filter(pk=shift.pk).update(band=GradeBand.objects.get(name="高中"))
    client.cookies["django_language"] = "en"
    client.force_login(student)
    page = client.get(reverse("tutoring:ask")).content.decode()
    select = page.split('name="subject"')[1].split("</select>")[0]
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    assert [label for label, _ in groups] == [
        "Teachers on duty tonight",
        "No teacher on duty: written answer only",
    ]
    # Only maths has a teacher for grade 7 tonight; the 高中 physics teacher does not count.
    assert re.findall(r">([^<]+)</option>", groups[0][1]) == ["Mathematics"]
    assert "Physics" in groups[1][1]
    # Any subject may still be asked (for a written answer).
    assert (
        client.post(
            reverse("tutoring:ask"),
            {
                "subject": Subject.objects.get(name="物理").pk,
                "grade": Grade.objects.get(level=7).pk,
                "text": "?",
                "mode": "written",
            },
        ).status_code
        == 302
    )


def test_a_refused_question_keeps_what_was_typed_and_asks_for_the_photos_again(
    clock, client, student
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.cookies["django_language"] = "en"
    client.force_login(student)
    response = client.post(
        reverse("tutoring:ask"),
        {
            "subject": maths().pk,
            "grade": Grade.objects.get(level=7).pk,
            "text": "第3题的分数怎么通分？",
            "photos": [photo_upload(), SimpleUploadedFile("b.jpg", b"<svg></svg>")],
            "mode": "live",
        },
    )
    assert response.status_code == 200
    assert Question.objects.count() == 0
    page = response.content.decode()
    assert 'id="id_text">\n第3题的分数怎么通分？</textarea>' in page
    assert response.context["form"].errors["photos"] == [
        "Photo 2: This file is not a picture (PNG, JPEG, GIF or WebP), whatever its name says.",
        "Your photos were not kept: choose them again before you send.",
    ]


def test_asking_with_a_photo_leads_to_the_wait_page(clock, client, student, teachers):
    client.force_login(student)
    response = client.post(
        reverse("tutoring:ask"),
        {
            "subject": maths().pk,
            "grade": Grade.objects.get(level=7).pk,
            "text": "第3题",
            "photos": [photo_upload()],
            "mode": "live",
        },
    )
    question = Question.objects.get(asker=student)
    assert response.status_code == 302
    assert response["Location"] == reverse("tutoring:question", args=[question.pk])
    assert (question.status, question.photos.count()) == ("offered", 1)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'hx-trigger="every 4s"' in page.content.decode()
    photo = question.photos.get()
    served = client.get(reverse("tutoring:question_photo", args=[photo.pk]))
    assert (served.status_code, served["Content-Type"]) == (200, "image/jpeg")


def test_a_fake_image_is_an_error_on_the_form(clock, client, student):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(student)
    response = client.post(
        reverse("tutoring:ask"),
        {
            "subject": maths().pk,
            "grade": Grade.objects.get(level=7).pk,
            "text": "第3题",
            "photos": [SimpleUploadedFile("a.jpg", b"<svg></svg>")],
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["photos"]
    assert Question.objects.count() == 0


def test_outside_the_window_the_page_says_when_the_next_shift_opens(clock, client, student):
    clock.at("22:00")
    client.force_login(student)
    response = client.get(reverse("tutoring:ask"))
    assert response.context["window"].opens_at == shanghai(TUESDAY, "19:30")
    assert not response.context["window_open"]
    assert "19:30" in response.content.decode()


def test_the_status_shows_place_and_redirects_to_the_room_once_accepted(
    clock, client, student, teachers
):
    question = ask(student)
    client.force_login(student)
    status = client.get(reverse("tutoring:question_status", args=[question.pk]))
    assert status.context["info"].place == 1
    assert "HX-Redirect" not in status
    session = matching.offer_accept(actor=teachers[0], question=question)
    status = client.get(reverse("tutoring:question_status", args=[question.pk]))
    assert status["HX-Redirect"] == reverse("tutoring:room", args=[session.pk])


def test_declining_says_truly_where_the_question_goes_and_the_student_is_told(
    clock, client, student, teachers
):
    from django.contrib.messages import get_messages

    question = ask(student)
    client.cookies["django_language"] = "en"
    told = []
    for teacher in teachers:
        assert Question.objects.get(pk=question.pk).offered_to == teacher.teacher
        client.force_login(teacher)
        response = client.post(reverse("tutoring:offer_action", args=[question.pk, "decline"]))
        told.append([str(message) for message in get_messages(response.wsgi_request)][-1])
    assert told == [
        "The question is offered to another teacher.",
        "The question is offered to another teacher.",
        # 甲 declined it less than 5 minutes ago and nobody else is free.
        "No other teacher for it is free now: it waits for the next free teacher.",
    ]
    assert Question.objects.get(pk=question.pk).status == "waiting"
    client.force_login(student)
    page = client.get(reverse("tutoring:question_status", args=[question.pk])).content.decode()
    # Said once (the asker's buttons below do not repeat it).
    assert (
        page.count(
            '<p class="passed-on" role="status">The teacher could not take your question; '
            "it is waiting for another teacher.</p>"
        )
        == 1
    )


def test_a_student_is_told_when_no_teacher_is_online(clock, client, student):
    question = ask(student)
    client.force_login(student)
    status = client.get(reverse("tutoring:question_status", args=[question.pk]))
    assert status.context["info"].teachers == 0
    assert 'class="card no-teacher"' in status.content.decode()
    client.post(reverse("tutoring:question_action", args=[question.pk, "written"]))
    assert Question.objects.get(pk=question.pk).status == "written"


@pytest.mark.parametrize("persona", ["stranger", "outside_learner", "school_admin"])
def test_another_persons_question_is_404(clock, client, personas, persona, student):
    question = ask(student)
    client.force_login(personas[persona])
    for name in ("tutoring:question", "tutoring:question_status"):
        assert client.get(reverse(name, args=[question.pk])).status_code == 404
    response = client.post(reverse("tutoring:question_action", args=[question.pk, "withdraw"]))
    assert response.status_code == 404
    assert Question.objects.get(pk=question.pk).status == "waiting"


def test_the_parent_sees_the_childs_question_and_history(clock, client, student, parent, teachers):
    question = ask(student)
    session = matching.offer_accept(actor=teachers[0], question=question)
    client.force_login(parent)
    assert client.get(reverse("tutoring:question", args=[question.pk])).status_code == 200
    history = client.get(reverse("tutoring:history"))
    assert [q.pk for q in history.context["questions"]] == [question.pk]
    assert [s.pk for s in history.context["sessions"]] == [session.pk]
    assert reverse("tutoring:transcript", args=[session.pk]) in history.content.decode()


@pytest.mark.parametrize(
    ("persona", "offered"),
    [("student", True), ("parent", False), ("school_admin", False), ("outside_learner", False)],
)
def test_the_ask_link_is_offered_only_to_those_who_may_ask(
    clock, client, personas, persona, offered
):
    # The others got a link to a 403 page (outside learners: the district has not let them ask).
    client.force_login(personas[persona])
    history = client.get(reverse("tutoring:history")).content.decode()
    assert (f'href="{reverse("tutoring:ask")}"' in history) is offered
    assert f'href="{reverse("tutoring:history")}"' in history
    assert client.get(reverse("tutoring:ask")).status_code == (200 if offered else 403)


def test_the_teacher_sees_the_offer_and_accepts_it(clock, client, student, teachers):
    question = ask(student)
    client.force_login(teachers[0])
    duty = client.get(reverse("tutoring:duty"))
    assert duty.context["offer"] == question
    assert duty.context["offer_seconds_left"] == 30
    response = client.post(reverse("tutoring:offer_action", args=[question.pk, "accept"]))
    session = TutoringSession.objects.get(question=question)
    assert response["Location"] == reverse("tutoring:room", args=[session.pk])


def test_a_teacher_clocks_in_from_the_duty_page(clock, client, teacher):
    shift = on_duty(teacher)
    client.force_login(teacher)
    client.post(reverse("tutoring:clock", args=["in"]))
    assert Shift.objects.get(pk=shift.pk).is_online


def test_a_teacher_signs_up_from_the_shifts_page(clock, client, teacher):
    from eschool.tutoring.selectors import grade_bands

    client.force_login(teacher)
    assert client.get(reverse("tutoring:shifts")).status_code == 200
    response = client.post(
        reverse("tutoring:shifts"),
        {"day": TUESDAY.isoformat(), "subjects": [maths().pk], "band": grade_bands()[2].pk},
    )
    assert response.status_code == 302
    assert Shift.objects.get(teacher=teacher.teacher).day == TUESDAY


def test_each_shifts_swap_form_has_its_own_labelled_fields(clock, client, teacher):
    import re

    monday, tuesday = on_duty(teacher), on_duty(teacher, day=TUESDAY)
    client.force_login(teacher)
    page = client.get(reverse("tutoring:shifts")).content.decode()
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for shift in (monday, tuesday):
        for name in ("reason", "proposed"):
            assert f'<label for="id_swap{shift.pk}_{name}">' in page
            assert f'id="id_swap{shift.pk}_{name}"' in page


def test_the_shifts_page_reads_the_colleagues_once_whatever_the_number_of_shifts(
    clock, client, teacher
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_the_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("tutoring:shifts")).status_code == 200
        return len(captured)

    colleague = make_teacher("T7001", "同事", school=teacher.teacher.school)
    client.force_login(teacher)
    on_duty(teacher)
    queries_for_the_page()  # the first request after logging in also reads the login session
    one_shift = queries_for_the_page()
    shifts = [on_duty(teacher, day=TUESDAY), on_duty(teacher, day=MONDAY + dt.timedelta(days=2))]
    assert queries_for_the_page() == one_shift
    # Each form still offers the colleagues, not the teacher asking.
    page = client.get(reverse("tutoring:shifts")).content.decode()
    for shift in shifts:
        select = page.split(f'id="id_swap{shift.pk}_proposed"')[1].split("</select>")[0]
        assert f'<option value="{colleague.teacher.pk}">' in select
        assert f'<option value="{teacher.teacher.pk}">' not in select


def _options(page: str, select_id: str) -> list[str]:
    select = page.split(f'id="{select_id}"')[1].split("</select>")[0]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_swap_forms_offer_only_colleagues_qualified_for_the_shift(
    clock, client, teacher, district_admin
):
    from eschool.tutoring.services import shifts

    school = teacher.teacher.school
    make_teacher("T7002", "郝远紫", school=school, subjects=("化学",))
    make_teacher("T7003", "高中数学", school=school).teacher.grades.set(
        Grade.objects.filter(level=10)
    )
    make_teacher("T7004", "初中数学", school=school).teacher.grades.set(
        Grade.objects.filter(level=8)
    )
    make_teacher("T7005", "已值班", school=school)
    on_duty(User.objects.get(username="T7005"), day=TUESDAY)
    shift = on_duty(teacher, day=TUESDAY)
    client.cookies["django_language"] = "en"
    client.force_login(teacher)
    page = client.get(reverse("tutoring:shifts")).content.decode()
    assert _options(page, f"id_swap{shift.pk}_proposed") == ["---------", "初中数学 · Mathematics"]
    # A colleague who is not qualified is refused by the form, not approved.
    chemist = Teacher.objects.get(user__username="T7002")
    client.post(reverse("tutoring:shift_swap", args=[shift.pk]), {"proposed": chemist.pk})
    assert not shift.swap_requests.exists()
    swap = shifts.swap_request(actor=teacher, shift=shift)
    client.force_login(district_admin)
    page = client.get(reverse("tutoring:swaps")).content.decode()
    assert _options(page, f"id_swap{swap.pk}_substitute") == [
        "---------",
        "初中数学 · Mathematics",
    ]
    client.post(
        reverse("tutoring:swap_decide", args=[swap.pk]),
        {"decision": "approve", "substitute": chemist.pk},
    )
    assert Shift.objects.get(pk=shift.pk).teacher == teacher.teacher


@pytest.mark.parametrize(
    "language, subjects",
    [
        ("zh-hans", '<span class="title">数学、物理 · '),
        ("en", '<span class="title">Mathematics, Physics · '),
    ],
)
def test_a_shifts_subjects_are_listed_with_the_pages_separator(
    clock, client, teacher, language, subjects
):
    on_duty(teacher, subjects=("数学", "物理"))
    client.cookies["django_language"] = language
    client.force_login(teacher)
    assert subjects in client.get(reverse("tutoring:shifts")).content.decode()


@pytest.mark.parametrize("persona", NOT_DISTRICT_ADMINS)
def test_admin_pages_are_for_district_admins(clock, client, personas, persona):
    client.force_login(personas[persona])
    for name in ("tutoring:board", "tutoring:coverage", "tutoring:swaps", "tutoring:settings"):
        assert client.get(reverse(name)).status_code == 403


def test_the_board_and_coverage_for_the_admin(clock, client, district_admin, teachers, student):
    ask(student)
    client.force_login(district_admin)
    board = client.get(reverse("tutoring:board"))
    assert board.status_code == 200
    states = {row.shift.teacher.user.name: row.state for row in board.context["teachers"]}
    assert states == {"甲老师": "offered", "乙老师": "idle", "丙老师": "idle"}
    client.cookies["django_language"] = "en"
    coverage = client.get(reverse("tutoring:coverage"))
    assert coverage.status_code == 200
    assert MONDAY in coverage.context["grid"]
    page = coverage.content.decode()
    assert "in the last 14 days. Fewer than 2 teachers is thin.</p>" in page
    # Tonight: three maths teachers for 初中 and the student's question; nothing else listed.
    tonight = page.split(f"<h2>{MONDAY:%Y-%m-%d} Monday</h2>")[1].split("</table>")[0]
    rows = re.findall(r"<tr class=\"(thin)?\"><td>([^<]*)</td>", tonight)
    assert rows == [("", "Mathematics")]
    assert '<td>3 <span class="muted">(甲老师, 乙老师, 丙老师)</span></td><td>1</td>' in tonight


def _board_counts_line(client, clock, district_admin, teachers, student):
    question = ask(student)
    clock.advance(seconds=20)
    matching.offer_accept(actor=teachers[0], question=question)
    client.force_login(district_admin)
    page = client.get(reverse("tutoring:board")).content.decode()
    # The line after the evening's window (19:30–21:30 · ).
    return page.split('<p class="counts">')[1].split("</p>")[0].strip().split("\n")[-1]


def test_the_boards_waits_read_as_one_chinese_sentence(
    clock, client, district_admin, teachers, student
):
    # Chinese units and full-width punctuation, the numbers still marked up.
    assert _board_counts_line(client, clock, district_admin, teachers, student) == (
        '今日等待时长：中位数 <strong class="median-wait">20 秒</strong>，'
        '90% 分位 <strong class="p90-wait">20 秒</strong>（已匹配 1 个问题）'
    )


def test_the_boards_waits_in_english(clock, client, district_admin, teachers, student):
    client.cookies["django_language"] = "en"
    assert _board_counts_line(client, clock, district_admin, teachers, student) == (
        'Today&#x27;s waits: median <strong class="median-wait">20 s</strong>, '
        '90th percentile <strong class="p90-wait">20 s</strong> (1 question matched)'
    )


def test_the_settings_page_saves(clock, client, district_admin):
    from eschool.tutoring.selectors import grade_bands, tutoring_settings

    client.force_login(district_admin)
    response = client.post(
        reverse("tutoring:settings"),
        {
            "window_start": "19:00",
            "window_end": "21:00",
            "weekdays": ["5", "1", "2", "3", "4"],
            "holidays_off": "on",
            "offer_seconds": "40",
            "default_session_limit": "1",
            "late_after_minutes": "5",
            "photo_retention_days": "7",
            "bands": [band.pk for band in grade_bands().filter(name__in=["初中", "高中"])],
        },
    )
    assert response.status_code == 302
    row = tutoring_settings()
    assert (row.weekdays, row.offer_seconds, str(row.window_start)) == ("1,2,3,4,5", 40, "19:00:00")
    assert list(grade_bands().values_list("name", flat=True)) == ["初中", "高中"]
    assert list(grade_bands(served_only=False).values_list("name", "served")) == [
        ("小学低段", False),
        ("小学高段", False),
        ("初中", True),
        ("高中", True),
    ]
    # The page shows the served bands ticked.
    page = client.get(reverse("tutoring:settings")).content.decode()
    assert page.count('name="bands"') == 4 and page.count('name="bands" value=') == 4
    # 初中, 高中, "no service on days without classes" and Monday to Friday.
    assert page.count("checked") == 8
    ticked = [
        f'name="weekdays" value="{day}" id="id_weekdays_{day - 1}" checked' for day in range(1, 6)
    ]
    assert all(box in page for box in ticked)
    assert 'name="weekdays" value="6" id="id_weekdays_5">' in page


def test_the_settings_page_refuses_to_serve_no_grade_band(clock, client, district_admin):
    from eschool.tutoring.selectors import grade_bands

    client.cookies["django_language"] = "en"
    client.force_login(district_admin)
    response = client.post(
        reverse("tutoring:settings"),
        {
            "window_start": "19:30",
            "window_end": "21:30",
            "weekdays": ["1", "2", "3", "4", "5", "6"],
            "offer_seconds": "30",
            "default_session_limit": "1",
            "late_after_minutes": "5",
            "photo_retention_days": "30",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["bands"] == ["Choose at least one grade band."]
    assert grade_bands().count() == 4


SETTINGS = {
    "window_start": "19:30",
    "window_end": "21:30",
    "offer_seconds": "30",
    "default_session_limit": "1",
    "late_after_minutes": "5",
    "photo_retention_days": "30",
}


def described_ids_missing(page: str) -> set[str]:
    """The ids named by aria-describedby that no element of `page` carries."""
    named = {i for value in re.findall(r'aria-describedby="([^"]*)"', page) for i in value.split()}
    return named - set(re.findall(r' id="([^"]+)"', page))


def test_the_service_days_are_a_box_per_weekday_in_chinese(clock, client, district_admin):
    client.force_login(district_admin)
    page = client.get(reverse("tutoring:settings")).content.decode()
    assert "<fieldset><legend>服务日</legend>" in page
    labels = re.findall(r'<label for="id_weekdays_\d">(.*?)</label>', page, re.S)
    assert [re.sub(r"<[^>]+>", "", label).strip() for label in labels] == [
        "周一", "周二", "周三", "周四", "周五", "周六", "周日",
    ]  # fmt: skip


def test_the_service_days_are_ticked_boxes_saved_as_day_numbers(clock, client, district_admin):
    from eschool.tutoring.selectors import grade_bands, tutoring_settings

    client.cookies["django_language"] = "en"
    client.force_login(district_admin)
    page = client.get(reverse("tutoring:settings")).content.decode()
    # Each box sits inside its label: a tap on the day's name ticks it, Tab and Space work.
    assert (
        '<label for="id_weekdays_0"><input type="checkbox" name="weekdays" value="1" '
        'id="id_weekdays_0" checked>\n Monday</label>'
    ) in page
    assert (
        '<label for="id_weekdays_6"><input type="checkbox" name="weekdays" value="7" '
        'id="id_weekdays_6">\n Sunday</label>'
    ) in page
    bands = [band.pk for band in grade_bands()]
    response = client.post(
        reverse("tutoring:settings"), {**SETTINGS, "weekdays": ["7", "2", "4"], "bands": bands}
    )
    assert response.status_code == 302
    assert tutoring_settings().weekdays == "2,4,7"


def test_a_refused_settings_form_keeps_the_ticked_days(clock, client, district_admin):
    from eschool.tutoring.selectors import tutoring_settings

    client.cookies["django_language"] = "en"
    client.force_login(district_admin)
    response = client.post(reverse("tutoring:settings"), {**SETTINGS, "weekdays": ["2", "4"]})
    assert response.status_code == 200
    assert response.context["form"].errors["bands"] == ["Choose at least one grade band."]
    page = response.content.decode()
    ticked = re.findall(r'name="weekdays" value="(\d)" id="id_weekdays_\d" checked', page)
    assert ticked == ["2", "4"]
    assert tutoring_settings().weekdays == "1,2,3,4,5,6"


def test_no_service_day_ticked_is_an_error_the_group_points_to(clock, client, district_admin):
    from eschool.tutoring.selectors import grade_bands

    client.cookies["django_language"] = "en"
    client.force_login(district_admin)
    bands = [band.pk for band in grade_bands()]
    response = client.post(reverse("tutoring:settings"), {**SETTINGS, "bands": bands})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<fieldset aria-describedby="id_weekdays_error"><legend>Days of service</legend>' in page
    assert (
        '<ul class="errorlist" id="id_weekdays_error"><li>Tick at least one day of service.</li>'
    ) in page
    assert described_ids_missing(page) == set()


def test_the_photo_fields_description_is_its_help_text(clock, client, student):
    client.force_login(student)
    page = client.get(reverse("tutoring:ask")).content.decode()
    assert 'aria-describedby="id_photos_helptext"' in page
    assert '<p class="help" id="id_photos_helptext">' in page
    assert described_ids_missing(page) == set()


def test_the_settings_groups_point_to_their_help_texts(clock, client, district_admin):
    client.force_login(district_admin)
    page = client.get(reverse("tutoring:settings")).content.decode()
    assert '<fieldset aria-describedby="id_subjects_helptext"><legend>' in page
    assert described_ids_missing(page) == set()


def test_records_own_and_admin_only(clock, client, teachers, district_admin, school_a):
    client.force_login(teachers[0])
    assert client.get(reverse("tutoring:my_record")).status_code == 200
    other = teachers[1].teacher.pk
    assert client.get(reverse("tutoring:record", args=[other])).status_code == 404
    client.force_login(district_admin)
    response = client.get(reverse("tutoring:record", args=[other]))
    assert response.context["record"].shifts == 1


def test_the_record_page_shows_session_lengths_and_upcoming_shifts_apart(
    clock, client, teachers, student
):
    session = TutoringSession.objects.create(
        teacher=teachers[0].teacher,
        student=student,
        started_at=shanghai(MONDAY, "19:40"),
        ended_at=shanghai(MONDAY, "19:41") + dt.timedelta(seconds=32),
    )
    on_duty(teachers[0], day=TUESDAY)
    client.cookies["django_language"] = "en"
    client.force_login(teachers[0])
    page = client.get(reverse("tutoring:my_record")).content.decode()
    assert '<td class="duration">1:32</td>' in page
    assert '<dd class="shifts">1</dd>' in page
    assert '<dd class="upcoming">1</dd>' in page
    # Online since 19:31, now 19:45: 14 minutes so far.
    assert '<dd class="duty-minutes">14</dd>' in page
    assert '<td class="shift-minutes">14 <span class="badge">online now</span></td>' in page
    assert f"{TUESDAY:%Y-%m-%d} Tuesday · Mathematics · " in page
    assert session.minutes == 2


def history_text(client) -> str:
    html = client.get(reverse("tutoring:history")).content.decode()
    main = html[html.index("<h1>") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def test_the_history_names_asking_once_in_chinese(clock, client, student):
    ask(student)
    client.force_login(student)
    # The student is not told their own name on every line.
    assert history_text(client) == (
        "伴读记录 提问 · 我的提问 提一个新问题 问过的问题 "
        "12-07 19:45 分数怎么加？ 等待老师接题 数学 一对一辅导 还没有辅导记录。"
    )


def test_a_parents_history_says_which_child_asked(clock, client, student, parent):
    ask(student)
    client.force_login(parent)
    assert "分数怎么加？ 等待老师接题 数学 · 张三 一对一辅导" in history_text(client)


def test_the_history_in_english(clock, client, student):
    ask(student)
    client.cookies["django_language"] = "en"
    client.force_login(student)
    text = history_text(client)
    assert text.startswith(
        "Tutoring history Ask a question · My questions Ask a new question Questions asked "
    )
    assert " One-to-one sessions No sessions yet." in text


def test_the_navigation_links_to_tutoring(clock, client, student):
    client.force_login(student)
    page = client.get(reverse("tutoring:history"))
    assert f'href="{reverse("tutoring:home")}"' in page.content.decode()


def test_the_board_costs_the_same_with_more_teachers_and_questions(
    clock, client, district_admin, school_a
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import make_asker, make_teacher

    client.force_login(district_admin)

    def queries(count: int, start: int) -> int:
        for number in range(start, start + count):
            user = make_teacher(f"T95{number:02d}", f"老师{number}", school=school_a)
            on_duty(user, online_at=shanghai(MONDAY, "19:30"))
            ask(make_asker(f"095{number:02d}", f"学生{number}", school=school_a))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("tutoring:board_panel")).status_code == 200
        return len(captured)

    assert queries(2, 0) == queries(5, 10)


def test_english_pages_name_grade_bands_through_the_catalogue_and_the_buttons_in_english(
    clock, client, teacher, district_admin, monkeypatch
):
    from django.utils.translation import trans_real

    # The English catalogue's entry for the band (the lead's merge writes the real one).
    catalogue = trans_real.translation("en")._catalog._catalogs[0]
    monkeypatch.setitem(catalogue, "初中", "Junior high")
    on_duty(teacher, online_at=shanghai(MONDAY, "19:31"))
    client.cookies["django_language"] = "en"
    client.force_login(teacher)
    assert '<span class="title">Mathematics · Junior high</span>' in (
        client.get(reverse("tutoring:shifts")).content.decode()
    )
    duty = client.get(reverse("tutoring:duty")).content.decode()
    assert "<p>Mathematics · Junior high · 19:30–21:30</p>" in duty
    assert '<button type="submit" class="button secondary">Go offline</button>' in duty
    assert "下线" not in duty
    client.force_login(district_admin)
    settings_page = client.get(reverse("tutoring:settings")).content.decode()
    assert "Junior high</label>" in settings_page
    assert "初中" not in settings_page
