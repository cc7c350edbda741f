// The session page's player (live/_player.html): a countdown before the broadcast, counted on
// the server's clock (status.json's server_time) so a phone set to the wrong time still shows
// the right one; "about to start" from the teacher's Start until the playlist has its first
// segment (status "starting": there is no playlist to load yet); the live playlist while live;
// the replay after. It polls status.json and
// switches without a reload. hls.js where the browser has MSE; the native player elsewhere
// (iOS Safari, WeChat's browser), which plays HLS itself.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var messages = JSON.parse(document.getElementById("live-messages").textContent);
  var video = root.querySelector("video");
  var note = root.querySelector(".live-note");
  var unmute = root.querySelector(".live-unmute");
  var countdown = root.querySelector("[data-countdown]");
  var statusUrl = root.getAttribute("data-status-url");
  var startsAt = Date.parse(root.getAttribute("data-starts-at"));
  var endsAt = Date.parse(root.getAttribute("data-ends-at"));
  // Server clock minus this device's clock, in ms.
  var offset = Date.parse(root.getAttribute("data-server-time")) - Date.now();
  // When what the page shows was true; an older answer (from a cache) must not undo it.
  var asOf = Date.parse(root.getAttribute("data-server-time"));
  var view = root.getAttribute("data-view");
  var urls = {
    live: root.getAttribute("data-live-url") || "",
    replay: root.getAttribute("data-replay-url") || ""
  };
  // The teacher may go live 30 min early and resume up to 30 min after the end.
  var MARGIN = 30 * 60 * 1000;
  // Target durations hls.js stays behind the live edge (eschool/live/player.py LIVE_SYNC_SEGMENTS).
  var LIVE_SYNC = Number(root.getAttribute("data-live-sync-segments")) || 2;
  var hls = null;
  var loaded = "";
  var loadedMode = "";
  // The playlist being played was seen closed (#EXT-X-ENDLIST): hls.js reads it no more.
  var closed = false;
  var loads = 0;
  var pollTimer = null;
  var retryTimer = null;

  function serverNow() {
    return Date.now() + offset;
  }

  function setNote(text) {
    if (note) note.textContent = text || "";
  }

  function show(next) {
    view = next;
    root.setAttribute("data-view", next);
    Array.prototype.forEach.call(root.querySelectorAll("[data-when]"), function (el) {
      el.hidden = el.getAttribute("data-when").split(" ").indexOf(next) < 0;
    });
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function tick() {
    if (!countdown || view !== "waiting") return;
    var left = Math.floor((startsAt - serverNow()) / 1000);
    if (left <= 0) {
      countdown.textContent = messages.soon;
      return;
    }
    var days = Math.floor(left / 86400);
    var clock = pad(Math.floor((left % 86400) / 3600)) + ":" + pad(Math.floor((left % 3600) / 60)) + ":" + pad(left % 60);
    countdown.textContent = days > 0 ? messages.days.replace("%(days)s", days) + " " + clock : clock;
  }

  function detach() {
    if (hls) {
      hls.destroy();
      hls = null;
    }
    loaded = "";
    loadedMode = "";
    closed = false;
  }

  function autoplay() {
    // Browsers may refuse to start with sound before the viewer touched the page: start
    // muted then, and offer the sound back.
    var started = video.play();
    if (!started || !started.catch) return;
    started.catch(function (error) {
      if (!error || error.name !== "NotAllowedError") return;
      video.muted = true;
      if (unmute) unmute.hidden = false;
      var again = video.play();
      if (again && again.catch) {
        again.catch(function () {
          setNote(messages.tapToPlay);
        });
      }
    });
  }

  function retryLive() {
    // The live playlist appears with the first segment a few seconds after the teacher
    // starts, and a network hiccup must not leave the student on a black screen.
    detach();
    setNote(messages.reconnecting);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () {
      if (view === "live") load(urls.live, "live");
    }, 3000);
  }

  function load(url, mode) {
    if (!video || !url) return;
    video.setAttribute("data-mode", mode);
    var from = -1;
    if (loaded === url) {
      // Live to replay on the same playlist (a broadcast's replay is its live playlist,
      // closed): keep playing where the viewer is.
      if (mode !== "live" || (loadedMode === "live" && !closed)) {
        loadedMode = mode;
        return;
      }
      // Live again on a playlist that had closed: OBS's line dropped and it came back, or the
      // teacher pressed Start again. The player stopped reading the playlist at its ENDLIST,
      // so load it again, from where the viewer is: the broadcast goes on after a
      // discontinuity on the same timeline (hls.js jumps to the live edge if that is far).
      from = video.currentTime || 0;
    }
    detach();
    loaded = url;
    loadedMode = mode;
    loads += 1;
    root.setAttribute("data-loads", loads);
    if (window.Hls && window.Hls.isSupported()) {
      var live = mode === "live";
      var config = live
        ? { liveSyncDurationCount: LIVE_SYNC, liveMaxLatencyDurationCount: LIVE_SYNC + 3, maxLiveSyncPlaybackRate: 1.2 }
        : {};
      if (from >= 0) config.startPosition = from;
      hls = new window.Hls(config);
      hls.on(window.Hls.Events.MANIFEST_PARSED, function () {
        setNote("");
      });
      hls.on(window.Hls.Events.LEVEL_LOADED, function (event, data) {
        if (data.details && !data.details.live) closed = true;
      });
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (!data.fatal) return;
        if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
          hls.recoverMediaError();
        } else if (video.getAttribute("data-mode") === "live") {
          retryLive();
        }
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else {
      // The native player (iOS, WeChat) plays HLS itself.
      video.src = url;
      if (from > 0) {
        video.addEventListener("loadedmetadata", function seek() {
          video.removeEventListener("loadedmetadata", seek);
          video.currentTime = from;
        });
      }
    }
    // Not on the broadcasting teacher's own page: their microphone would hear the live again.
    if (mode === "live" && root.getAttribute("data-autoplay") !== "0") autoplay();
  }

  var reloadKey = "live-reloaded-" + root.getAttribute("data-session-id");

  function reloadOnce(next) {
    // This page was rendered before the viewer could have this playlist (e.g. the replay of a
    // class they had not booked, or before the broadcast existed): the server decides again,
    // once. Never on the teacher's own page: it is broadcasting (golive.js hands it the URL).
    if (document.getElementById("go-live")) return;
    try {
      if (sessionStorage.getItem(reloadKey) === next) return;
      sessionStorage.setItem(reloadKey, next);
    } catch (e) {
      return;
    }
    window.location.reload();
  }

  function enter(next) {
    if (next === "live") {
      if (video && urls.live) load(urls.live, "live");
      else if (next !== view) reloadOnce(next);
    } else if (next === "replay") {
      var url = urls.replay || (view === "live" ? loaded : "");
      if (video && url) load(url, "replay");
      else if (next !== view) reloadOnce(next);
    } else if (video && loaded && next !== view) {
      detach();
    }
    show(next);
    tick();
  }

  function apply(doc) {
    if (!doc) return;
    offset = Date.parse(doc.server_time) - Date.now();
    var stamp = Date.parse(doc.as_of);
    if (stamp < asOf) return;
    asOf = stamp;
    startsAt = Date.parse(doc.starts_at);
    endsAt = Date.parse(doc.ends_at);
    var next = doc.status === "ended" ? (doc.replay ? "replay" : "over") : doc.status;
    if (doc.hls_url) urls[next === "live" ? "live" : "replay"] = doc.hls_url;
    enter(next);
  }

  function delay() {
    var now = serverNow();
    if (view === "waiting") return startsAt - MARGIN - now > 60000 ? 60000 : 5000;
    // The first segment is a few seconds away: ask again soon (status.json is 2 s fresh).
    if (view === "starting") return 3000;
    if (view === "live") return 5000;
    // An ended broadcast may resume inside the window, and a replay may still appear. A
    // broadcast's replay is its live playlist: as often as live, so viewers go on with it.
    if (now < endsAt + MARGIN) return loaded && loaded === urls.live ? 5000 : 15000;
    return view === "over" ? 60000 : 0;
  }

  function schedule() {
    clearTimeout(pollTimer);
    var wait = delay();
    if (wait) pollTimer = setTimeout(poll, wait);
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(apply, function () {})
      .then(schedule);
  }

  if (unmute) {
    unmute.addEventListener("click", function () {
      video.muted = false;
      unmute.hidden = true;
    });
  }
  if (video) {
    video.addEventListener("playing", function () {
      setNote("");
    });
    // The live playlist closed: ask at once what comes next (the replay, or the live again).
    video.addEventListener("ended", function () {
      if (video.getAttribute("data-mode") !== "live") return;
      closed = true;
      poll();
    });
  }
  // The go-live panel heard the playlist's URL from the server (the teacher's own page).
  document.addEventListener("live:playlist", function (event) {
    if (!event.detail) return;
    urls.live = event.detail;
    if (view === "live") enter("live");
  });
  // The go-live panel heard the end from the server: the replay (its URL), or nothing was
  // recorded. Answers of status.json read before this moment (a cached copy) are older.
  document.addEventListener("live:ended", function (event) {
    asOf = Math.max(asOf, serverNow());
    if (event.detail) urls.replay = event.detail;
    enter(urls.replay || loaded ? "replay" : "over");
    schedule();
  });
  enter(view);
  setInterval(tick, 1000);
  poll();
})();
