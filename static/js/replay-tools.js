// Beside a replay (live/_replay_tools.html): playback speed, "continue from mm:ss" where this
// viewer stopped, and chapters that seek the video. Where one stopped: for a logged-in viewer
// the server's record (/watch/sessions/<pk>/resume.json, from their heartbeats on any device)
// or this browser's, whichever is later; for a visitor, this browser's (localStorage).
// Chapters are added and removed with htmx, which swaps the list; clicks are caught on the
// surrounding box so the new buttons work too.
// A page that was live when it opened (loaded by live/_player.html too) has no tools yet: when
// its player turns to the replay (data-mode="replay"), the tools are taken from the page as
// the server now renders it, so speed, chapters and "continue from" come without a reload.
(function () {
  "use strict";
  if (window.eschoolReplayTools) { return; }  // included by the player and by the tools
  window.eschoolReplayTools = true;
  var SPEED_KEY = "eschool-replay-speed";
  var POSITION_KEY = "eschool-replay-position:";
  var SAVE_EVERY_MS = 5000;

  function store(key, value) {
    try {
      if (value === null) { window.localStorage.removeItem(key); } else { window.localStorage.setItem(key, value); }
    } catch (e) { /* private mode or full: the tools still work, without memory */ }
  }
  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function setup(box) {
    var pk = box.getAttribute("data-session-id");
    var video = document.querySelector('video[data-session-id="' + pk + '"]');
    if (!video) { return; }
    var positionKey = POSITION_KEY + pk;

    // Seeking before the player has the video: remember the time and apply it once it has.
    function seek(seconds, play) {
      if (video.readyState >= 1) {
        video.currentTime = seconds;
      } else {
        video.addEventListener("loadedmetadata", function once() {
          video.removeEventListener("loadedmetadata", once);
          video.currentTime = seconds;
        });
      }
      if (play && video.paused) {
        var started = video.play();
        if (started && started.catch) { started.catch(function () {}); }
      }
    }

    // Speed ---------------------------------------------------------------
    var buttons = box.querySelectorAll("button.speed");
    function applySpeed(speed) {
      video.defaultPlaybackRate = speed;  // survives the player setting a new source
      video.playbackRate = speed;
      Array.prototype.forEach.call(buttons, function (button) {
        var pressed = parseFloat(button.getAttribute("data-speed")) === speed;
        button.setAttribute("aria-pressed", pressed ? "true" : "false");
      });
    }
    var savedSpeed = parseFloat(stored(SPEED_KEY));
    if (savedSpeed >= 0.5 && savedSpeed <= 2) { applySpeed(savedSpeed); }
    video.addEventListener("loadedmetadata", function () {
      var speed = parseFloat(stored(SPEED_KEY));
      if (speed >= 0.5 && speed <= 2 && video.playbackRate !== speed) { applySpeed(speed); }
    });

    // Resume where this viewer stopped ------------------------------------
    var resume = box.querySelector(".replay-resume");
    var resumeButton = resume && resume.querySelector("button");
    function offer(at) {
      // Not at the very start, and not at the end of a replay watched to its end.
      if (!resume || !(at > 5) || (video.duration && at > video.duration - 5)) { return; }
      resumeButton.textContent = box.getAttribute("data-resume-text").replace("%(time)s", clock(at));
      resumeButton.setAttribute("data-at", String(Math.floor(at)));
      resume.hidden = false;
    }
    // {at: seconds, t: when (ms)}; a plain number is what earlier versions stored.
    function local() {
      var raw = stored(positionKey);
      if (!raw) { return null; }
      try {
        var kept = JSON.parse(raw);
        return typeof kept === "number" ? { at: kept, t: 0 } : kept;
      } catch (e) { return null; }
    }
    function keep(at) { store(positionKey, JSON.stringify({ at: Math.floor(at), t: Date.now() })); }
    var here = local();
    fetch("/watch/sessions/" + pk + "/resume.json", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .catch(function () { return null; })
      .then(function (server) {
        var at = here ? here.at : null;
        if (server && server.signed_in && server.position !== null && (!here || server.seen_at > here.t)) {
          at = server.position;
        }
        if (video.currentTime < 1) { offer(at); }  // not once the viewer has started elsewhere
      });
    video.addEventListener("loadedmetadata", function () {
      var at = parseFloat(resumeButton && resumeButton.getAttribute("data-at"));
      if (resume && !resume.hidden && video.duration && at > video.duration - 5) { resume.hidden = true; }
    });
    var lastSaved = 0;
    video.addEventListener("timeupdate", function () {
      var now = Date.now();
      if (now - lastSaved < SAVE_EVERY_MS || !video.currentTime) { return; }
      lastSaved = now;
      keep(video.currentTime);
    });
    video.addEventListener("pause", function () {
      if (video.currentTime) { keep(video.currentTime); }
    });
    // A reload or a closed tab while playing: the place is kept as it is now, not as it was
    // at the last 5-second save (the server hears it by beacon, but only after its next fold).
    function leaving() {
      if (video.currentTime && !video.ended) { keep(video.currentTime); }
    }
    window.addEventListener("pagehide", leaving);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { leaving(); }
    });
    // Watched to the end: nothing to continue here, whatever another device said earlier.
    video.addEventListener("ended", function () { keep(0); });

    // Clicks: speed buttons, resume, chapters, "use the current time" --------
    box.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest("button") : null;
      if (!target || !box.contains(target)) { return; }
      if (target.classList.contains("speed")) {
        var speed = parseFloat(target.getAttribute("data-speed"));
        applySpeed(speed);
        store(SPEED_KEY, String(speed));
      } else if (target.classList.contains("resume")) {
        seek(parseFloat(target.getAttribute("data-at")), true);
        resume.hidden = true;
      } else if (target.classList.contains("chapter")) {
        seek(parseFloat(target.getAttribute("data-at")), true);
        if (resume) { resume.hidden = true; }
      } else if (target.classList.contains("use-current-time")) {
        var input = target.parentNode.querySelector("input[name=at]");
        if (input) { input.value = clock(video.currentTime || 0); input.focus(); }
      }
    });

    // The chapter being played is marked for screen readers and the eye.
    video.addEventListener("timeupdate", function () {
      var chapters = box.querySelectorAll("button.chapter");
      var current = null;
      Array.prototype.forEach.call(chapters, function (button) {
        if (parseFloat(button.getAttribute("data-at")) <= video.currentTime + 0.25) { current = button; }
      });
      Array.prototype.forEach.call(chapters, function (button) {
        if (button === current) { button.setAttribute("aria-current", "true"); } else { button.removeAttribute("aria-current"); }
      });
    });
  }

  function setupOnce(box) {
    if (box.getAttribute("data-ready")) { return; }
    box.setAttribute("data-ready", "1");
    setup(box);
  }

  // Live -> replay without a reload ------------------------------------------
  var TOOLS_TRIES = 6;
  var TOOLS_RETRY_MS = 10000;  // the page may come from a cache up to a minute old

  function addStylesheet(from) {
    var link = from.querySelector('link[rel="stylesheet"][href*="replays"]');
    if (link && !document.querySelector('link[href="' + link.getAttribute("href") + '"]')) {
      document.head.appendChild(document.importNode(link, true));
    }
  }

  function withHtmx(from, box) {
    // The chapter form (teachers) posts with htmx, which a live page did not load.
    if (window.htmx) { window.htmx.process(box); return; }
    var tag = from.querySelector('script[src*="htmx"]');
    if (!tag) { return; }
    var script = document.createElement("script");
    script.src = tag.getAttribute("src");
    script.onload = function () { if (window.htmx) { window.htmx.process(box); } };
    document.head.appendChild(script);
  }

  function fetchTools(root, attempt) {
    fetch(window.location.pathname + window.location.search, { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.text() : ""; })
      .catch(function () { return ""; })
      .then(function (html) {
        if (document.querySelector(".replay-tools")) { return; }
        var page = new DOMParser().parseFromString(html, "text/html");
        var found = page.querySelector(".replay-tools");
        if (!found) {
          if (attempt + 1 < TOOLS_TRIES) {
            window.setTimeout(function () { fetchTools(root, attempt + 1); }, TOOLS_RETRY_MS);
          }
          return;
        }
        var box = document.importNode(found, true);
        var frame = root.querySelector(".live-frame");
        frame.parentNode.insertBefore(box, frame.nextSibling);
        addStylesheet(page);
        setupOnce(box);
        withHtmx(page, box);
      });
  }

  function awaitReplay(root, video) {
    function check() {
      if (video.getAttribute("data-mode") !== "replay" || document.querySelector(".replay-tools")) { return false; }
      fetchTools(root, 0);
      return true;
    }
    var observer = new MutationObserver(function () { if (check()) { observer.disconnect(); } });
    observer.observe(video, { attributes: true, attributeFilter: ["data-mode"] });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".replay-tools"), setupOnce);
    var root = document.getElementById("live");
    var video = root && root.querySelector("video[data-session-id]");
    if (video && !document.querySelector(".replay-tools") && root.querySelector(".live-frame")) {
      awaitReplay(root, video);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
