// Beside a replay (live/_replay_tools.html): playback speed, "continue from mm:ss" where this
// viewer stopped (kept in this browser per session), and chapters that seek the video.
// Chapters are added and removed with htmx, which swaps the list; clicks are caught on the
// surrounding box so the new buttons work too.
(function () {
  "use strict";
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
    var savedAt = parseFloat(stored(positionKey));
    if (resume && savedAt > 5) {
      resumeButton.textContent = box.getAttribute("data-resume-text").replace("%(time)s", clock(savedAt));
      resumeButton.setAttribute("data-at", String(Math.floor(savedAt)));
      resume.hidden = false;
    }
    var lastSaved = 0;
    video.addEventListener("timeupdate", function () {
      var now = Date.now();
      if (now - lastSaved < SAVE_EVERY_MS || !video.currentTime) { return; }
      lastSaved = now;
      store(positionKey, String(Math.floor(video.currentTime)));
    });
    video.addEventListener("pause", function () {
      if (video.currentTime) { store(positionKey, String(Math.floor(video.currentTime))); }
    });
    video.addEventListener("ended", function () { store(positionKey, null); });

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

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".replay-tools"), setup);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
