// Watch time (eschool/watching): tells the server what was played, in sections, in batches.
//
// A section is one stretch of continuous playing: it starts when playing starts and ends at a
// pause, a seek, a jump or a change of source (live -> replay); every heartbeat of a section
// repeats where it began ("from") and says where the position is now ("to"). Heartbeats are
// queued and sent every 20 s as one batch (and at once when playing starts, so the viewer is
// counted, and when the page is hidden or closed, with navigator.sendBeacon).
//
// Requests carry the signed watch token from /watch/sessions/<pk>/token.json in the body and
// no cookies: the token says who is watching, keeps other sites out (a beacon cannot send a
// CSRF header), and spares the server a session lookup per heartbeat.
// A district event's token is shared (the same for everyone, so a CDN keeps it): then the
// batch carries this browser's visitor id and goes with the login cookie, which says who is
// watching (the server looks it up later, in bulk, not per heartbeat).
(function () {
  "use strict";
  var ENDPOINT = "/watch/heartbeats";
  var MAX_BATCH = 100; // the server's limit per request
  var MAX_QUEUE = 600; // offline for a long time: keep the newest, drop the oldest
  var JUMP_S = 3; // a position change this much beyond the time passed is a seek

  function newId() {
    var bytes = new Uint8Array(12);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function storedVisitor() {
    try {
      return window.localStorage.getItem("eschool-visitor") || "";
    } catch (e) {
      return ""; // private mode, or storage switched off
    }
  }

  function storeVisitor(id) {
    try {
      window.localStorage.setItem("eschool-visitor", id);
    } catch (e) {
      /* counted as a new viewer after a reload: harmless */
    }
  }

  // Storage switched off: one id for this page, so its batches count as one viewer.
  var sessionVisitor = newId();

  function round3(x) {
    return Math.round(x * 1000) / 1000;
  }

  function attach(video) {
    var sessionId = parseInt(video.getAttribute("data-session-id"), 10);
    if (!sessionId) return;
    var token = null;
    var shared = false; // a district event's token: the login cookie says who watches
    var pending = null; // the token request in flight
    var interval = 20000;
    var queue = [];
    var section = null; // {id, mode, from, pos, clock}
    var timer = null;

    function mode() {
      return video.getAttribute("data-mode") === "replay" ? "replay" : "live";
    }

    function getToken() {
      if (token) return Promise.resolve(token);
      if (pending) return pending;
      var url = "/watch/sessions/" + sessionId + "/token.json";
      var visitor = storedVisitor();
      if (visitor) url += "?visitor=" + encodeURIComponent(visitor);
      pending = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) {
          return answer.ok ? answer.json() : null;
        })
        .then(function (data) {
          pending = null;
          if (!data) return null;
          token = data.token;
          shared = Boolean(data.shared);
          if (data.visitor) storeVisitor(data.visitor);
          if (shared && !storedVisitor()) storeVisitor(newId());
          if (data.interval) interval = data.interval * 1000;
          return token;
        })
        .catch(function () {
          pending = null;
          return null;
        });
      return pending;
    }

    function push(to) {
      if (!section || !isFinite(to) || to < section.from) return;
      queue.push({
        session: sessionId,
        mode: section.mode,
        section: section.id,
        from: round3(section.from),
        to: round3(to),
        at: Date.now()
      });
      if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
    }

    function startSection() {
      var position = video.currentTime || 0;
      section = { id: newId(), mode: mode(), from: position, pos: position, clock: Date.now() };
      push(position); // the section's start: from == to
    }

    function endSection() {
      if (!section) return;
      push(section.pos); // the last position seen before the pause, seek or jump
      section = null;
    }

    function send(beacon) {
      if (!queue.length) return;
      if (!token) {
        if (!beacon) getToken().then(function (t) { if (t) send(false); });
        return;
      }
      var beats = queue.splice(0, MAX_BATCH);
      var batch = { token: token, beats: beats };
      if (shared) batch.visitor = storedVisitor() || sessionVisitor;
      var body = JSON.stringify(batch);
      // text/plain keeps both a fetch and a beacon "simple": no preflight, nothing to configure.
      var blob = new Blob([body], { type: "text/plain;charset=UTF-8" });
      if (beacon && navigator.sendBeacon && navigator.sendBeacon(ENDPOINT, blob)) return;
      var credentials = shared ? "same-origin" : "omit";
      fetch(ENDPOINT, { method: "POST", body: blob, credentials: credentials, keepalive: true })
        .then(function (answer) {
          if (answer.status === 403) {
            token = null; // expired: fetch a new one and send these again
            queue = beats.concat(queue);
          } else if (answer.status >= 500) {
            queue = beats.concat(queue); // the server counts a batch sent twice once
          }
          // 400: the batch itself is wrong; sending it again would not help.
        })
        .catch(function () {
          queue = beats.concat(queue); // offline: they go with the next batch
        });
      if (queue.length) send(beacon);
    }

    function tick() {
      if (section && !video.paused && !video.seeking) {
        section.pos = video.currentTime;
        push(section.pos);
      }
      send(false);
    }

    function startTimer() {
      if (timer) return;
      timer = window.setInterval(tick, interval);
    }

    video.addEventListener("play", function () {
      getToken();
    });
    video.addEventListener("playing", function () {
      if (!section || section.mode !== mode()) {
        endSection();
        startSection();
      }
      startTimer();
      send(false); // counted as a viewer from the first second
    });
    video.addEventListener("timeupdate", function () {
      if (!section || video.seeking) return;
      var now = Date.now();
      var position = video.currentTime;
      var expected = ((now - section.clock) / 1000) * (video.playbackRate || 1);
      var moved = position - section.pos;
      if (moved < -0.5 || moved > expected + JUMP_S) {
        // The position jumped without a seek event (a live player catching up, a gap
        // skipped): what follows is a new section.
        endSection();
        if (!video.paused) startSection();
        return;
      }
      section.pos = position;
      section.clock = now;
    });
    video.addEventListener("seeking", endSection);
    video.addEventListener("seeked", function () {
      if (!video.paused && !section) startSection();
    });
    video.addEventListener("pause", function () {
      endSection();
      send(false);
    });
    video.addEventListener("ended", function () {
      endSection();
      send(false);
    });
    // A new source (the live became the replay): positions start again.
    video.addEventListener("emptied", endSection);

    function leaving() {
      if (section && !video.paused) {
        section.pos = video.currentTime;
        push(section.pos);
      }
      send(true);
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") leaving();
    });
    window.addEventListener("pagehide", leaving);
  }

  Array.prototype.forEach.call(document.querySelectorAll("video[data-session-id]"), attach);
})();
