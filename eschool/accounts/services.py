"""Writes about people: passwords, registration, administrators, login throttling."""

import hashlib

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from eschool.accounts.backends import login_key
from eschool.accounts.models import OutsideLearner, Role, User
from eschool.accounts.passwords import initial_password, new_nonce
from eschool.accounts.selectors import user_may_reset_password

# After this many failed attempts for one login from one address within the
# window, that login is refused from that address for LOGIN_LOCK_SECONDS. The
# address is part of the key so that a stranger cannot lock a class out before
# its lesson by typing their (sequential) student numbers wrongly.
LOGIN_FAILURE_LIMIT = 5
LOGIN_WINDOW_SECONDS = 15 * 60
LOGIN_LOCK_SECONDS = 15 * 60
# One address trying many logins (password spraying) is refused as a whole past
# this many failures in the window. High, because a whole school can share one
# address and children mistype.
ADDRESS_FAILURE_LIMIT = 100


class PhoneAlreadyRegistered(Exception):
    pass


# Login throttling ---------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _throttle_keys(login: str, address: str) -> tuple[str, str]:
    digest = _digest(f"{login_key(login)}|{address}")
    return f"login-failures:{digest}", f"login-locked:{digest}"


def _address_keys(address: str) -> tuple[str, str]:
    digest = _digest(address)
    return f"login-address-failures:{digest}", f"login-address-locked:{digest}"


def login_is_locked(*, login: str, address: str) -> bool:
    return cache.get_many([_throttle_keys(login, address)[1], _address_keys(address)[1]]) != {}


def _count_failure(failures_key: str, locked_key: str, limit: int) -> bool:
    """Count one failure under `failures_key`; True when it reaches `limit` and locks.

    add + incr are each atomic on Redis, so concurrent attempts are all counted.
    """
    cache.add(failures_key, 0, timeout=LOGIN_WINDOW_SECONDS)
    try:
        failures = cache.incr(failures_key)
    except ValueError:
        # The window ended between add and incr: this attempt opens a new one.
        cache.add(failures_key, 1, timeout=LOGIN_WINDOW_SECONDS)
        failures = 1
    if failures < limit:
        return False
    cache.set(locked_key, 1, timeout=LOGIN_LOCK_SECONDS)
    # When the lock ends there is a fresh set of attempts.
    cache.delete(failures_key)
    return True


def login_failure_record(*, login: str, address: str) -> bool:
    """Count a failed attempt of `login` from `address`; True when this one locks it."""
    address_locked = _count_failure(*_address_keys(address), ADDRESS_FAILURE_LIMIT)
    return _count_failure(*_throttle_keys(login, address), LOGIN_FAILURE_LIMIT) or address_locked


def login_failures_clear(*, login: str, address: str) -> None:
    cache.delete(_throttle_keys(login, address)[0])


# Passwords -------------------------------------------------------------------------


def user_set_own_password(*, user: User, password: str) -> None:
    """The person chose their own password: from now on only its hash counts.

    The initial password stops working (its nonce is cleared). The caller keeps
    the session with update_session_auth_hash.
    """
    user.set_password(password)
    user.must_change_password = False
    user.initial_password_nonce = ""
    user.save(update_fields=["password", "must_change_password", "initial_password_nonce"])


def user_issue_initial_password(*, user: User) -> str:
    """Give `user` a new initial password (a new nonce), to be changed at first login.

    The old password stops working and the person's sessions end. Returns the
    new initial password; it is not stored, only derivable again from the nonce.
    """
    user.initial_password_nonce = new_nonce()
    user.must_change_password = True
    user.set_unusable_password()
    user.save(update_fields=["password", "must_change_password", "initial_password_nonce"])
    return initial_password(user)


def user_reset_password(*, actor: User, user: User) -> str:
    """An administrator resets `user`'s password; returns the new initial password.

    Raises PermissionDenied (and changes nothing) unless `actor` may: a district
    admin for anyone; a school admin for their school's students and teachers
    and the parents of its students.
    """
    if not user_may_reset_password(actor=actor, user=user):
        raise PermissionDenied
    with transaction.atomic():
        return user_issue_initial_password(user=user)


# New accounts ---------------------------------------------------------------------


def outside_learner_register(
    *, phone: str, name: str, region, school_name: str, grade, password: str
) -> User:
    """Create an outside learner who logs in with their mobile number.

    Raises PhoneAlreadyRegistered if the number is anyone's login or mobile number.
    """
    if User.objects.filter(username=phone).exists() or User.objects.filter(phone=phone).exists():
        raise PhoneAlreadyRegistered
    try:
        with transaction.atomic():
            user = User(username=phone, phone=phone, name=name, role=Role.OUTSIDE_LEARNER)
            user.set_password(password)
            user.save()
            OutsideLearner.objects.create(
                user=user, region=region, school_name=school_name, grade=grade
            )
    except IntegrityError:
        # Someone registered the same number at the same moment.
        raise PhoneAlreadyRegistered from None
    return user


def district_admin_create(*, username: str, name: str) -> tuple[User, str]:
    """A district administrator (admin site, every school) with an initial password."""
    with transaction.atomic():
        user = User.objects.create_user(
            username,
            name=name,
            role=Role.DISTRICT_ADMIN,
            is_staff=True,
            is_superuser=True,
        )
        password = user_issue_initial_password(user=user)
    return user, password
