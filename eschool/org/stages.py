"""Which grades belong to a stage: one rule for the session and course forms and the imports.

A grade belongs to exactly one stage (七年级 to 初中, 高一 to 高中: `reference.GRADES`).
"""

from django.utils.translation import gettext as _

from eschool.core.text import join_list


def grades_outside_stage(*, stage: str, grades) -> list:
    """The grades of `grades` that are not of `stage`, in their order; none when no stage is given."""
    if not stage:
        return []
    return [grade for grade in grades if grade.stage != stage]


def stage_grades_error(*, stage: str, grades) -> str | None:
    """What a person is told when grades are not of the chosen stage, or None when all are."""
    wrong = grades_outside_stage(stage=stage, grades=grades)
    if not wrong:
        return None
    return _("Not grades of the chosen stage: %(grades)s.") % {"grades": join_list(wrong)}
