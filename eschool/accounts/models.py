from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eschool.org.models import Grade, Homeroom, Region, School, Subject


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    SCHOOL_ADMIN = "school_admin", _("School administrator")
    TEACHER = "teacher", _("Teacher")
    STUDENT = "student", _("Student")
    PARENT = "parent", _("Parent")
    OUTSIDE_LEARNER = "outside", _("Outside learner")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username, password=None, **fields):
        user = self.model(username=username, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, username, password=None, **fields):
        fields.setdefault("role", Role.DISTRICT_ADMIN)
        fields.setdefault("name", username)
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(username, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in.

    `username` is the number a person logs in with: the student number for a
    student, the staff number for a teacher, the mobile number for a parent.
    Everyone with a mobile number may also log in with it.
    """

    username = models.CharField(_("login number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("mobile number"), max_length=11, null=True, blank=True, unique=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # The school a student, teacher or school administrator belongs to.
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("school"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("may use the admin site"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # Changing it gives the person a new initial password (see accounts.passwords).
    initial_password_nonce = models.CharField(max_length=32, blank=True, default="")

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["role", "school"])]

    def __str__(self):
        return f"{self.name} ({self.username})"

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name


class Student(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="student"
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="students", verbose_name=_("school")
    )
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, verbose_name=_("grade"))
    homeroom = models.ForeignKey(
        Homeroom,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="students",
        verbose_name=_("homeroom"),
    )
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")

    def __str__(self):
        return str(self.user)


class Teacher(models.Model):
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="teacher"
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="teachers", verbose_name=_("school")
    )
    subjects = models.ManyToManyField(Subject, blank=True, verbose_name=_("subjects"))
    grades = models.ManyToManyField(Grade, blank=True, verbose_name=_("grades"))
    hire_date = models.DateField(_("hire date"), null=True, blank=True)

    class Meta:
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")

    def __str__(self):
        return str(self.user)


class Guardianship(models.Model):
    """A parent (or other guardian) linked to a child. Any user may be a guardian."""

    guardian = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="guardianships", verbose_name=_("guardian")
    )
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="guardianships", verbose_name=_("child")
    )

    class Meta:
        verbose_name = _("guardianship")
        verbose_name_plural = _("guardianships")
        constraints = [
            models.UniqueConstraint(fields=["guardian", "student"], name="guardianship_unique"),
        ]

    def __str__(self):
        return f"{self.guardian} → {self.student}"


class OutsideLearner(models.Model):
    """A self-registered learner from a partner region or the public."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="outside_learner"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("region"))
    school_name = models.CharField(_("school"), max_length=100, blank=True)
    grade = models.ForeignKey(
        Grade, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("grade")
    )

    class Meta:
        verbose_name = _("outside learner")
        verbose_name_plural = _("outside learners")

    def __str__(self):
        return str(self.user)
