from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior high school")
    SENIOR = "senior", _("Senior high school")


class Region(models.Model):
    """Where a school or learner belongs: the home district, a partner region, or the public."""

    class Kind(models.TextChoices):
        HOME = "home", _("Home district")
        PARTNER = "partner", _("Partner region")
        PUBLIC = "public", _("Public")

    name = models.CharField(_("name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["kind", "name"]

    def __str__(self):
        # The public region's name is ours (公众) and has an English name; a
        # region a spreadsheet names has no entry and shows as written.
        return gettext(self.name)


class School(models.Model):
    code = models.CharField(_("school code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="schools", verbose_name=_("region")
    )

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Grade(models.Model):
    """A year of schooling. `level` orders them: 小班 -2, 中班 -1, 大班 0, 一年级 1 … 高三 12."""

    level = models.SmallIntegerField(_("level"), unique=True)
    name = models.CharField(_("name"), max_length=20, unique=True)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        ordering = ["level"]

    def __str__(self):
        # The name is Chinese data (七年级); English pages show its translation.
        # Importers match `name`, never str().
        return gettext(self.name)


class Subject(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["position", "name"]

    def __str__(self):
        return gettext(self.name)


class Homeroom(models.Model):
    """A class of students (班级): school + grade + number, e.g. 七年级3班."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="homerooms", verbose_name=_("school")
    )
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, verbose_name=_("grade"))
    number = models.PositiveSmallIntegerField(_("class number"))

    class Meta:
        verbose_name = _("homeroom")
        verbose_name_plural = _("homerooms")
        ordering = ["school", "grade__level", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "grade", "number"], name="homeroom_unique_per_school_grade"
            )
        ]

    def __str__(self):
        return _("%(grade)s class %(number)s") % {"grade": self.grade, "number": self.number}
