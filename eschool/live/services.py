"""Recordings: upload a lesson, package it to HLS in a Huey job, publish it as the replay."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eschool.classroom.models import Session
from eschool.classroom.selectors import user_manages_timetable
from eschool.core import timeutil
from eschool.live import ingest
from eschool.live.media import MediaRefused, package_vod, read_playlist
from eschool.live.models import Broadcast, Chapter, Recording

PROGRESS_STEP = 0.05  # the database hears about progress at most every 5 %
# ... or at least this often (while the job moves at all): how a stalled job is told apart.
PROGRESS_HEARTBEAT_SECONDS = 60
UNEXPECTED_FAILURE = gettext_noop("The recording could not be processed. Please try again.")
# A packaging job whose recording has not moved for this long is presumed dead (its worker was
# killed, the machine restarted): it is queued again, and after PACKAGING_ATTEMPTS runs the
# recording fails with STALLED_FAILURE. A live job reports at least every 1 % of the video or
# every PROGRESS_HEARTBEAT_SECONDS, far less than this even for a 3-hour lesson.
PACKAGING_STALL = dt.timedelta(minutes=20)
PACKAGING_ATTEMPTS = 3
STALLED_FAILURE = gettext_noop(
    "The recording could not be processed: its job stopped several times. Please upload it again."
)


def user_manages_recordings(user, session: Session) -> bool:
    """The session's teacher or a district administrator."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user_manages_timetable(user) or (
        session.teacher_id is not None and session.teacher_id == user.pk
    )


def _upload_dir() -> Path:
    return Path(settings.ESCHOOL_PRIVATE_ROOT) / "uploads"


def _replay_dir(recording: Recording) -> Path:
    # Media files are plain files anyone may fetch who knows the URL: a random part keeps the
    # URL from being guessed from the ids (the page, which checks who may watch, gives it).
    return _replays_of(recording) / f"{recording.pk}-{secrets.token_hex(8)}"


def _replays_of(recording: Recording) -> Path:
    return Path(settings.MEDIA_ROOT) / "replays" / str(recording.session_id)


def _remove_unfinished_packaging(recording: Recording) -> None:
    """The work folders a dead packaging job left (package_vod publishes by renaming them)."""
    for work in _replays_of(recording).glob(f".{recording.pk}-*.part"):
        shutil.rmtree(work, ignore_errors=True)


def recording_upload(*, actor, session: Session, uploaded_file) -> Recording:
    """Keep an uploaded lesson privately and queue its packaging; the teacher or an admin."""
    if not user_manages_recordings(actor, session):
        raise PermissionDenied
    folder = _upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(uploaded_file.name or "").suffix.lower()[:10]
    source = folder / f"{uuid.uuid4().hex}{suffix}"
    with open(source, "wb") as out:
        for chunk in uploaded_file.chunks():
            out.write(chunk)
    try:
        with transaction.atomic():
            recording = Recording.objects.create(
                session=session,
                kind=Recording.Kind.UPLOAD,
                status=Recording.Status.PROCESSING,
                source_name=(uploaded_file.name or "")[:255],
                upload_path=str(source.relative_to(folder)),
            )
            from eschool.live.tasks import package_recording

            transaction.on_commit(lambda: package_recording(recording.pk, 0))
    except BaseException:
        source.unlink(missing_ok=True)
        raise
    return recording


def recording_package(*, recording_id: int, attempt: int | None = None) -> Recording:
    """Package a recording to HLS under MEDIA_ROOT/replays/; ready, or failed with a message.

    The replay appears all at once or not at all (package_vod publishes atomically), and the
    private upload is deleted whatever happens. `attempt` is how many runs the recording had
    when this job was queued: a job queued twice (the stall check requeued one still waiting)
    runs once; None runs whatever the count.
    """
    recording = Recording.objects.get(pk=recording_id)
    source = _upload_dir() / recording.upload_path if recording.upload_path else None
    if recording.status != Recording.Status.PROCESSING or source is None:
        return recording
    if attempt is not None and recording.attempts != attempt:
        return recording
    # The claim: one run per attempt, decided by the database.
    claimed = Recording.objects.filter(
        pk=recording.pk, status=Recording.Status.PROCESSING, attempts=recording.attempts
    ).update(attempts=F("attempts") + 1, progress=0.0, updated_at=timeutil.now())
    if not claimed:
        return recording
    recording.refresh_from_db()
    out_dir = _replay_dir(recording)
    reported = [0.0, time.monotonic()]

    def on_progress(fraction: float) -> None:
        beat = time.monotonic() - reported[1] >= PROGRESS_HEARTBEAT_SECONDS
        if fraction < 1.0 and fraction < reported[0] + PROGRESS_STEP and not beat:
            return
        # Never moves progress backwards, even if two workers ran the same job.
        Recording.objects.filter(
            pk=recording.pk, status=Recording.Status.PROCESSING, progress__lte=fraction
        ).update(progress=fraction, updated_at=timeutil.now())
        reported[:] = [fraction, time.monotonic()]

    try:
        # The message is stored in English (the msgid) and translated for each reader.
        with translation.override("en"):
            master = package_vod(
                source,
                out_dir,
                renditions=tuple(tuple(size) for size in settings.ESCHOOL_REPLAY_RENDITIONS),
                on_progress=on_progress,
            )
    except MediaRefused as refused:
        recording.status = Recording.Status.FAILED
        recording.error = refused.message
    except Exception:
        recording.status = Recording.Status.FAILED
        recording.error = UNEXPECTED_FAILURE
        _save_outcome(recording)
        raise
    else:
        first = read_playlist(master).variants[0]["URI"]
        recording.duration_seconds = round(read_playlist(master.parent / first).duration, 3)
        recording.status = Recording.Status.READY
        recording.progress = 1.0
        recording.hls_path = master.relative_to(Path(settings.MEDIA_ROOT)).as_posix()
        recording.replay_since = timeutil.now()  # what the upload page told the teacher
    finally:
        source.unlink(missing_ok=True)
    _save_outcome(recording)
    return recording


def recordings_retry_stalled(*, stalled_for: dt.timedelta = PACKAGING_STALL) -> tuple[int, int]:
    """Queue again the uploads whose packaging job stopped moving (see PACKAGING_STALL), or,
    after PACKAGING_ATTEMPTS runs, fail them with a message the teacher sees on the upload
    page. What the dead job left half-done is removed; nothing is ever published half-done.
    Returns (queued again, failed)."""
    from eschool.live.tasks import package_recording

    moment = timeutil.now()
    stalled = Recording.objects.filter(
        kind=Recording.Kind.UPLOAD,
        status=Recording.Status.PROCESSING,
        updated_at__lt=moment - stalled_for,
    ).exclude(upload_path="")
    queued = failed = 0
    for recording in stalled:
        # Claimed by a conditional update: two checks at once handle a recording once.
        unchanged = Recording.objects.filter(
            pk=recording.pk,
            status=Recording.Status.PROCESSING,
            updated_at=recording.updated_at,
        )
        if recording.attempts >= PACKAGING_ATTEMPTS:
            if unchanged.update(
                status=Recording.Status.FAILED,
                error=STALLED_FAILURE,
                upload_path="",
                updated_at=moment,
            ):
                (_upload_dir() / recording.upload_path).unlink(missing_ok=True)
                _remove_unfinished_packaging(recording)
                failed += 1
        elif unchanged.update(updated_at=moment):
            _remove_unfinished_packaging(recording)
            pk, attempt = recording.pk, recording.attempts
            transaction.on_commit(lambda pk=pk, attempt=attempt: package_recording(pk, attempt))
            queued += 1
    return queued, failed


def _save_outcome(recording: Recording) -> None:
    recording.upload_path = ""
    recording.save(
        update_fields=[
            "status",
            "error",
            "progress",
            "duration_seconds",
            "hls_path",
            "upload_path",
            "replay_since",
            "updated_at",
        ]
    )


def recording_make_replay(*, actor, recording: Recording) -> Recording:
    """The teacher chooses which of the session's ready recordings students see as its replay
    (an upload, or back to the recorded broadcast with its chat); the others are kept."""
    if not user_manages_recordings(actor, recording.session):
        raise PermissionDenied
    if recording.status != Recording.Status.READY:
        raise ValidationError(_("Only a ready recording can be the replay."))
    recording.replay_since = timeutil.now()
    recording.save(update_fields=["replay_since", "updated_at"])
    return recording


# --------------------------------------------------------------------------- chunked uploads


def recording_from_file(*, actor, session: Session, path: Path, name: str) -> Recording:
    """Queue the packaging of a lesson already assembled in the private uploads folder.

    The resumable upload (eschool/live/chunked.py) builds the file piece by piece; this is
    recording_upload without the copying. The file is deleted if the recording is not made.
    """
    if not user_manages_recordings(actor, session):
        raise PermissionDenied
    path = Path(path)
    try:
        with transaction.atomic():
            recording = Recording.objects.create(
                session=session,
                kind=Recording.Kind.UPLOAD,
                status=Recording.Status.PROCESSING,
                source_name=name[:255],
                upload_path=str(path.relative_to(_upload_dir())),
            )
            from eschool.live.tasks import package_recording

            transaction.on_commit(lambda: package_recording(recording.pk, 0))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return recording


# --------------------------------------------------------------------------- chapters

CHAPTERS_PER_REPLAY = 100


def chapter_add(*, actor, recording: Recording, at_seconds: int, title: str) -> Chapter:
    """A title at a time of a ready replay; the session's teacher or a district admin."""
    if not user_manages_recordings(actor, recording.session):
        raise PermissionDenied
    title = " ".join((title or "").split())
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the chapter a title.")]
    elif len(title) > Chapter._meta.get_field("title").max_length:
        errors["title"] = [_("A chapter title has at most 120 characters.")]
    if at_seconds < 0 or (
        recording.duration_seconds is not None and at_seconds > recording.duration_seconds
    ):
        errors["at_seconds"] = [_("This time is not inside the replay.")]
    if recording.status != Recording.Status.READY:
        errors["__all__"] = [_("Chapters can be added once the replay is ready.")]
    elif Chapter.objects.filter(recording=recording).count() >= CHAPTERS_PER_REPLAY:
        errors["__all__"] = [_("A replay has at most 100 chapters.")]
    if errors:
        raise ValidationError(errors)
    return Chapter.objects.create(recording=recording, at_seconds=at_seconds, title=title)


def chapter_remove(*, actor, chapter: Chapter) -> None:
    if not user_manages_recordings(actor, chapter.recording.session):
        raise PermissionDenied
    chapter.delete()


# --------------------------------------------------------------------------- broadcasts

# Going live opens this long before the session's start and stays possible this long after its end.
BROADCAST_MARGIN = dt.timedelta(minutes=30)
# A live broadcast no media reached for this long is closed by recovery.
SILENCE_BEFORE_RECOVERY = dt.timedelta(seconds=60)
# Arriving media is noted at most every 5 s (the browser's socket) or per segment (OBS, 2-3 s
# or its keyframe interval): a live broadcast without a note for longer is in a gap (a dropped
# line), which the replay does not have.
MEDIA_SILENT_AFTER = dt.timedelta(seconds=15)
# A browser broadcast whose socket dropped is closed this long after, unless the teacher came
# back (the page reconnects within 1 s, then with a backoff; a reload takes a few seconds):
# the teacher who closed the tab has the replay within the minute, not after recovery's
# 60 s of silence plus up to a minute for its periodic run (which stays as the backstop).
ABANDONED_AFTER = dt.timedelta(seconds=35)


class BroadcastRefused(Exception):
    """A broadcast that cannot start now; `message` is translated and safe to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def live_dir(broadcast: Broadcast) -> Path:
    """The folder of the broadcast's live playlist (its segments, its ingest lock)."""
    path = broadcast.hls_path or f"live/{broadcast.session_id}/{ingest.PLAYLIST}"  # older rows
    return Path(settings.MEDIA_ROOT) / Path(path).parent


def _new_live_hls_path(session_id: int) -> str:
    # Media files are plain files anyone may fetch who knows the URL (a CDN serves them): the
    # random part keeps a class's live from being found by counting session ids. The page and
    # status.json hand the URL only to those who may watch.
    return f"live/{session_id}-{secrets.token_hex(8)}/{ingest.PLAYLIST}"


def broadcast_of(session: Session) -> Broadcast:
    """The session's broadcast, created (waiting, with its stream key) on first use."""
    broadcast, _created = Broadcast.objects.get_or_create(
        session=session, defaults={"hls_path": _new_live_hls_path(session.pk)}
    )
    return broadcast


def broadcast_window(session: Session) -> tuple[dt.datetime, dt.datetime]:
    """When the session may be broadcast: 30 minutes before its start to 30 after its end."""
    return session.starts_at - BROADCAST_MARGIN, session.ends_at + BROADCAST_MARGIN


def broadcast_begin(*, actor, session: Session, source: str) -> Broadcast:
    """Go live, or continue the live after a reconnect (same playlist, same replay).

    The session's teacher or a district administrator, inside the session's window. A
    broadcast that ended may resume inside the window: its playlist is reopened and its
    replay waits for the new end. `actor` may be None only for RTMP, whose caller has
    checked the stream key (the key is the credential).
    """
    if actor is None:
        if source != Broadcast.Source.RTMP:
            raise PermissionDenied
    elif not user_manages_recordings(actor, session):
        raise PermissionDenied
    if session.status == Session.Status.CANCELLED:
        raise BroadcastRefused(_("This session was cancelled; it cannot be broadcast."))
    moment = timeutil.now()
    opens, closes = broadcast_window(session)
    if moment < opens:
        raise BroadcastRefused(
            _("You can go live from %(time)s, 30 minutes before the session starts.")
            % {"time": timeutil.local(opens).strftime("%Y-%m-%d %H:%M")}
        )
    if moment > closes:
        raise BroadcastRefused(
            _("The session ended more than 30 minutes ago; it can no longer be broadcast.")
        )
    broadcast_of(session)
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(session=session)
        _refuse_while_another_source_writes(broadcast, source)
        if broadcast.status == Broadcast.Status.ENDED:
            ingest.reopen_playlist(live_dir(broadcast))
            if broadcast.recording_id:
                # The playlist is live again: not a replay until the broadcast ends again.
                Recording.objects.filter(pk=broadcast.recording_id).update(
                    status=Recording.Status.PROCESSING, updated_at=moment
                )
        # Every start (after 结束直播, a dropped line, another window) is a new part: the
        # ingest continues the playlist where it ends, after a discontinuity.
        broadcast.part_started_at = moment
        broadcast.recorded_before_part = _recorded_seconds(broadcast)
        broadcast.status = Broadcast.Status.LIVE
        broadcast.source = source
        broadcast.started_at = broadcast.started_at or moment
        broadcast.ended_at = None
        broadcast.last_media_at = moment
        broadcast.hls_path = broadcast.hls_path or _new_live_hls_path(session.pk)
        # The ingest writes the playlist with its first segment: until then there is nothing
        # to play (a broadcast resumed after a drop or an end goes on with what it has).
        broadcast.awaiting_first_segment = not (live_dir(broadcast) / ingest.PLAYLIST).exists()
        broadcast.save(
            update_fields=[
                "status",
                "source",
                "started_at",
                "ended_at",
                "part_started_at",
                "recorded_before_part",
                "last_media_at",
                "hls_path",
                "awaiting_first_segment",
            ]
        )
    return broadcast


def broadcast_segment_listed(*, broadcast_id: int) -> bool:
    """The ingest listed a segment in the playlist: viewers may load it now (status.json says
    live and names it). True the first time, when the broadcast was waiting for it."""
    return bool(
        Broadcast.objects.filter(pk=broadcast_id, awaiting_first_segment=True).update(
            awaiting_first_segment=False
        )
    )


def _refuse_while_another_source_writes(broadcast: Broadcast, source: str) -> None:
    """Refused, changing nothing, while the other way of broadcasting (OBS or a browser) is
    writing the playlist: taking the broadcast over would drop it (nginx drops OBS once the
    broadcast is no longer OBS's), yet the newcomer could not write (one writer per playlist).
    The same source may take over (another window of the teacher's; OBS reconnecting)."""
    if broadcast.status != Broadcast.Status.LIVE or broadcast.source in ("", source):
        return
    if not ingest.writer_running(live_dir(broadcast)):
        return  # the other one is gone (a dropped browser, a stopped OBS): go ahead
    if broadcast.source == Broadcast.Source.RTMP:
        raise BroadcastRefused(
            _("This session is being broadcast from OBS. Stop streaming in OBS first.")
        )
    raise BroadcastRefused(
        _("This session is being broadcast from a browser. End that broadcast first.")
    )


def broadcast_media_arrived(*, broadcast_id: int) -> bool:
    """Note that media is flowing (recovery closes broadcasts that fall silent).

    False when the session's window is over: the caller ends the broadcast.
    """
    moment = timeutil.now()
    Broadcast.objects.filter(pk=broadcast_id, status=Broadcast.Status.LIVE).update(
        last_media_at=moment
    )
    session = Session.objects.only("starts_at", "ends_at").get(broadcast__pk=broadcast_id)
    return moment <= broadcast_window(session)[1]


def broadcast_end(*, broadcast: Broadcast) -> Recording | None:
    """End the live: close the playlist with #EXT-X-ENDLIST; the same URL is now the replay.

    Returns the READY recording (kind LIVE) whose hls_path is the live playlist, or None when
    nothing was recorded. Safe to call again. Waits (up to 10 s) for an ingest still writing.
    """
    playlist = ingest.close_playlist(live_dir(broadcast))
    moment = timeutil.now()
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if playlist is not None and playlist.segments:
            recording = broadcast.recording or Recording(
                session_id=broadcast.session_id, kind=Recording.Kind.LIVE
            )
            recording.status = Recording.Status.READY
            recording.progress = 1.0
            recording.error = ""
            recording.hls_path = broadcast.hls_path
            recording.duration_seconds = round(playlist.duration, 3)
            if broadcast.status != Broadcast.Status.ENDED:  # not again when called again
                recording.replay_since = moment
            recording.save()
            broadcast.recording = recording
        if broadcast.status != Broadcast.Status.ENDED:
            broadcast.ended_at = moment
        broadcast.status = Broadcast.Status.ENDED
        # Until a new part begins, every moment is at the end of what was recorded.
        broadcast.part_started_at = None
        broadcast.recorded_before_part = round(playlist.duration, 3) if playlist else 0.0
        broadcast.save(
            update_fields=[
                "status",
                "ended_at",
                "recording",
                "part_started_at",
                "recorded_before_part",
            ]
        )
    return broadcast.recording


def _recorded_seconds(broadcast: Broadcast) -> float:
    """Seconds of media the broadcast's playlist holds (0 before its first segment)."""
    path = live_dir(broadcast) / ingest.PLAYLIST
    return round(read_playlist(path).duration, 3) if path.exists() else 0.0


def broadcast_replay_offset(broadcast: Broadcast, at: dt.datetime) -> float | None:
    """Where `at` falls in the broadcast's replay, in seconds; None before it ever went live.

    The media recorded before the current part plus the time into this part; a moment
    between parts (ended, or a dropped line with no media for a while) is at the end of what
    was recorded. Older rows with no part yet count from `started_at`.
    """
    if broadcast.started_at is None:
        return None
    if broadcast.status != Broadcast.Status.LIVE:
        return round(broadcast.recorded_before_part, 1)
    part_started_at = broadcast.part_started_at or broadcast.started_at
    if broadcast.last_media_at is not None:
        # Media notes are written every few seconds; past that the line is silent.
        at = min(at, broadcast.last_media_at + MEDIA_SILENT_AFTER)
    into_part = max(0.0, (at - part_started_at).total_seconds())
    return round(broadcast.recorded_before_part + into_part, 1)


def broadcasts_recover(*, silent_for: dt.timedelta = SILENCE_BEFORE_RECOVERY) -> int:
    """Close the live broadcasts no media reached for `silent_for` (the process died, the
    teacher's line dropped for good): the playlist ends at its last complete segment and
    becomes the replay. Broadcasts whose ingest is still writing are left alone.
    Returns how many were closed."""
    cutoff = timeutil.now() - silent_for
    stale = Broadcast.objects.filter(status=Broadcast.Status.LIVE).filter(
        Q(last_media_at__lt=cutoff) | Q(last_media_at__isnull=True, started_at__lt=cutoff)
    )
    return sum(_close_silent(broadcast) for broadcast in stale)


def broadcast_close_if_abandoned(*, broadcast_id: int, dropped_at: dt.datetime) -> bool:
    """Close a broadcast whose ingest socket dropped at `dropped_at`, if nothing came since:
    no new start (broadcast_begin notes its moment), no media, no ingest holding the playlist.
    The playlist ends at its last complete segment and becomes the replay. Safe to call again;
    False when the broadcast was left alone (the teacher came back, or it had ended)."""
    broadcast = Broadcast.objects.filter(
        pk=broadcast_id, status=Broadcast.Status.LIVE, last_media_at__lte=dropped_at
    ).first()
    return broadcast is not None and _close_silent(broadcast)


def _close_silent(broadcast: Broadcast) -> bool:
    try:
        ingest.recover_playlist(live_dir(broadcast))
    except ingest.IngestBusy:
        return False  # an ingest is writing: the broadcast is alive after all
    broadcast_end(broadcast=broadcast)
    return True
