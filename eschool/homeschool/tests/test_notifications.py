from eschool.homeschool.models import Notification
from eschool.homeschool.selectors import unread_count
from eschool.homeschool.services import notification_send, notifications_mark_read


def test_a_notification_is_sent_once_per_key(student):
    first = notification_send(user=student, key="reminder:session:1", title="快上课了")
    second = notification_send(user=student, key="reminder:session:1", title="快上课了")

    assert (first, second) == (True, False)
    assert Notification.objects.filter(user=student).count() == 1
    assert unread_count(student) == 1


def test_marking_read_empties_the_unread_count(student, parent):
    notification_send(user=student, key="a", title="一")
    notification_send(user=student, key="b", title="二")
    notification_send(user=parent, key="a", title="一")

    assert notifications_mark_read(user=student) == 2
    assert (unread_count(student), unread_count(parent)) == (0, 1)
