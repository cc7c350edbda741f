// The go-live panel (live/go_live.html): the teacher picks camera, screen or screen with a camera
// inset, and a microphone; sees a preview and a level meter; and broadcasts. The browser records
// H.264 with MediaRecorder and streams the chunks over a WebSocket (/ws/live/<pk>/ingest/); the
// server repackages them into HLS without re-encoding the video. If the socket drops, the page
// reconnects with a NEW recorder (a new stream with its own header; the server adds a
// discontinuity to the same live and the same replay).
(function () {
  "use strict";
  var panel = document.getElementById("go-live");
  if (!panel) return;
  var msg = JSON.parse(document.getElementById("go-live-messages").textContent);
  function $(selector) {
    return panel.querySelector(selector);
  }
  var statusLine = $(".go-live-status");
  var errorLine = $(".go-live-error");
  var cameraSelect = $("#go-live-camera");
  var micSelect = $("#go-live-microphone");
  var previewButton = $('[data-action="preview"]');
  var startButton = $('[data-action="start"]');
  var stopButton = $('[data-action="stop"]');
  var preview = $(".go-live-preview");
  var meter = $("#go-live-level");
  var obs = $(".go-live-obs");
  var ingestPath = panel.getAttribute("data-ingest-path");

  // H.264 only: the server copies the teacher's video into HLS, it never re-encodes it. MP4
  // first (the order; Safari records AAC there), then Matroska/WebM (Chromium).
  var CANDIDATES = [
    "video/mp4;codecs=avc1,mp4a.40.2",
    "video/mp4;codecs=avc1,opus",
    "video/mp4;codecs=avc1",
    "video/x-matroska;codecs=avc1,opus",
    "video/webm;codecs=h264,opus",
    "video/x-matroska;codecs=avc1",
    "video/webm;codecs=h264"
  ];
  var TIMESLICE = 1000;
  var MAX_BACKOFF = 15000;
  var GIVE_UP_AFTER = 6; // failed connection attempts in a row before asking the teacher

  var media = { stream: null, parts: [], worker: null, audio: null, meterFrame: 0, screenGone: false };
  var live = { wanted: false, socket: null, recorder: null, backoff: 1000, failures: 0, timer: null, stopping: false };

  function say(text) {
    statusLine.textContent = text || "";
  }
  function fail(text) {
    errorLine.textContent = text || "";
    errorLine.hidden = !text;
  }

  function pickMime() {
    if (!window.MediaRecorder || !MediaRecorder.isTypeSupported) return "";
    for (var i = 0; i < CANDIDATES.length; i++) {
      if (MediaRecorder.isTypeSupported(CANDIDATES[i])) return CANDIDATES[i];
    }
    return "";
  }
  var mime = pickMime();
  var hasMedia = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);

  function chosenSource() {
    return $('input[name="source"]:checked').value;
  }

  function setControls() {
    var busy = live.wanted || live.stopping;
    Array.prototype.forEach.call(panel.querySelectorAll('input[name="source"], select'), function (el) {
      el.disabled = busy || !hasMedia;
    });
    if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
      Array.prototype.forEach.call(panel.querySelectorAll('input[name="source"]:not([value="camera"])'), function (el) {
        el.disabled = true;
      });
    }
    previewButton.disabled = busy || !hasMedia;
    startButton.disabled = busy || !media.stream || !mime;
    stopButton.disabled = !live.wanted;
  }

  // Devices ------------------------------------------------------------------------------

  function fillDevices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      [
        [cameraSelect, "videoinput", msg.cameraDefault],
        [micSelect, "audioinput", msg.micDefault]
      ].forEach(function (item) {
        var select = item[0];
        var chosen = select.value;
        select.innerHTML = "";
        select.appendChild(new Option(item[2], ""));
        devices.forEach(function (device, index) {
          if (device.kind !== item[1] || !device.deviceId || device.deviceId === "default") return;
          select.appendChild(new Option(device.label || item[1] + " " + (index + 1), device.deviceId));
        });
        select.value = chosen;
        if (select.value !== chosen) select.value = "";
      });
    });
  }

  function constraint(select, extra) {
    var result = extra || {};
    if (select.value) result.deviceId = { exact: select.value };
    return result;
  }

  function stopMedia() {
    media.parts.forEach(function (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
    });
    media.parts = [];
    if (media.worker) media.worker.terminate();
    media.worker = null;
    if (media.audio) media.audio.close();
    media.audio = null;
    cancelAnimationFrame(media.meterFrame);
    media.stream = null;
    media.screenGone = false;
  }

  function playing(stream) {
    var element = document.createElement("video");
    element.muted = true;
    element.playsInline = true;
    element.srcObject = stream;
    element.play();
    return element;
  }

  // Screen with a camera in the corner, drawn on a canvas. The drawing clock is a worker: a
  // page's own timers slow to once a second (or less) when the teacher switches to the slides.
  function composite(screen, camera) {
    var canvas = document.createElement("canvas");
    canvas.width = 1280;
    canvas.height = 720;
    var context = canvas.getContext("2d");
    var screenVideo = playing(screen);
    var cameraVideo = playing(camera);
    function fill(element) {
      var w = element.videoWidth;
      var h = element.videoHeight;
      if (!w || !h) return;
      var scale = Math.min(canvas.width / w, canvas.height / h);
      context.drawImage(element, (canvas.width - w * scale) / 2, (canvas.height - h * scale) / 2, w * scale, h * scale);
    }
    function draw() {
      context.fillStyle = "#000";
      context.fillRect(0, 0, canvas.width, canvas.height);
      if (media.screenGone) {
        fill(cameraVideo); // the teacher stopped sharing: the camera fills the picture
        return;
      }
      fill(screenVideo);
      var cw = cameraVideo.videoWidth;
      var ch = cameraVideo.videoHeight;
      if (cw && ch) {
        var width = canvas.width / 4;
        var height = (width * ch) / cw;
        context.drawImage(cameraVideo, canvas.width - width - 16, canvas.height - height - 16, width, height);
      }
    }
    var source = "setInterval(function(){postMessage(0)}, 40);";
    media.worker = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
    media.worker.onmessage = draw;
    return canvas.captureStream(25).getVideoTracks()[0];
  }

  function acquire() {
    var devices = navigator.mediaDevices;
    var camera = constraint(cameraSelect, { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25 } });
    var microphone = constraint(micSelect, { echoCancellation: true, noiseSuppression: true });
    var source = chosenSource();
    if (source === "camera") {
      return devices.getUserMedia({ video: camera, audio: microphone }).then(function (stream) {
        media.parts.push(stream);
        return stream;
      });
    }
    if (!devices.getDisplayMedia) return Promise.reject(new Error(msg.noScreen));
    return devices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false }).then(function (screen) {
      media.parts.push(screen);
      var inset = source === "screen-camera";
      // The browser's own "Stop sharing" button ends the screen's track, and only the track
      // hears it: without this the broadcast would go on with a frozen picture.
      screen.getVideoTracks()[0].addEventListener("ended", function () {
        screenEnded(inset);
      });
      return devices.getUserMedia({ video: inset ? camera : false, audio: microphone }).then(function (own) {
        media.parts.push(own);
        var video = inset ? composite(screen, new MediaStream(own.getVideoTracks())) : screen.getVideoTracks()[0];
        return new MediaStream([video].concat(own.getAudioTracks()));
      });
    });
  }

  function screenEnded(inset) {
    if (!media.stream) return; // the page let go of the media itself
    if (inset) {
      media.screenGone = true; // the composite goes on with the camera alone
      fail(msg.screenGoneCamera);
      return;
    }
    var wasLive = live.wanted;
    // A clean end: the recorder hands over its last chunk, then "stop"; the replay is ready.
    if (wasLive) stop();
    stopMedia(); // the microphone too: Start needs a new Preview with a screen again
    preview.srcObject = null;
    setControls();
    fail(wasLive ? msg.screenGone : msg.screenGonePreview);
  }

  function startMeter(stream) {
    var AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext || !stream.getAudioTracks().length) return;
    media.audio = new AudioContext();
    var analyser = media.audio.createAnalyser();
    analyser.fftSize = 1024;
    media.audio.createMediaStreamSource(stream).connect(analyser);
    var samples = new Float32Array(analyser.fftSize);
    function update() {
      analyser.getFloatTimeDomainData(samples);
      var sum = 0;
      for (var i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
      // RMS, scaled so that speech sits in the middle of the meter.
      var level = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      meter.value = level;
      meter.textContent = Math.round(level * 100) + "%";
      media.meterFrame = requestAnimationFrame(update);
    }
    update();
  }

  function startPreview() {
    if (live.wanted) return;
    fail("");
    stopMedia();
    acquire().then(
      function (stream) {
        media.stream = stream;
        preview.srcObject = stream;
        startMeter(stream);
        fillDevices();
        say(mime ? msg.previewing : "");
        setControls();
      },
      function (error) {
        stopMedia();
        setControls();
        fail(error && error.name === "NotAllowedError" ? msg.denied : (error && error.message) || msg.denied);
      }
    );
  }

  // Broadcasting -------------------------------------------------------------------------

  function socketUrl() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + ingestPath;
  }

  function stopRecorder() {
    var recorder = live.recorder;
    live.recorder = null;
    if (recorder && recorder.state !== "inactive") {
      recorder.ondataavailable = null;
      recorder.onstop = null;
      recorder.stop();
    }
  }

  function startRecorder(socket) {
    var options = { mimeType: mime, videoBitsPerSecond: 1500000, audioBitsPerSecond: 96000 };
    // Where supported (Chromium), a keyframe every 2 s so the server can cut 2 s segments.
    options.videoKeyFrameIntervalDuration = 2000;
    var recorder = new MediaRecorder(media.stream, options);
    live.recorder = recorder;
    recorder.ondataavailable = function (event) {
      if (!event.data || !event.data.size || socket.readyState !== WebSocket.OPEN) return;
      socket.send(event.data);
      if (socket.bufferedAmount > 4 * 1024 * 1024) say(msg.slow);
    };
    recorder.onstop = function () {
      // The last chunk has been handed over (dataavailable comes before stop): now end.
      if (live.stopping && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "stop" }));
    };
    recorder.onerror = function (event) {
      fail((event.error && event.error.message) || String(event.error || ""));
    };
    recorder.start(TIMESLICE);
  }

  function reconnectLater() {
    live.failures += 1;
    if (live.failures >= GIVE_UP_AFTER) {
      live.wanted = false;
      fail(msg.failed);
      say("");
      setControls();
      return;
    }
    var wait = live.backoff * (0.8 + Math.random() * 0.4);
    live.backoff = Math.min(live.backoff * 2, MAX_BACKOFF);
    say(msg.reconnecting.replace("%(seconds)s", Math.round(wait / 1000)));
    clearTimeout(live.timer);
    live.timer = setTimeout(connect, wait);
  }

  function connect() {
    var socket = new WebSocket(socketUrl());
    live.socket = socket;
    say(msg.connecting);
    socket.onopen = function () {
      if (live.stopping && !live.wanted) {
        // The teacher pressed End while the page was reconnecting: just say so.
        socket.send(JSON.stringify({ type: "stop" }));
      } else {
        socket.send(JSON.stringify({ type: "start", mime: mime }));
      }
    };
    socket.onmessage = function (event) {
      if (typeof event.data !== "string") return;
      var message = JSON.parse(event.data);
      if (message.type === "live") {
        panel.setAttribute("data-state", "live");
        if (message.hls_url) document.dispatchEvent(new CustomEvent("live:playlist", { detail: message.hls_url }));
        panel.setAttribute("data-connections", Number(panel.getAttribute("data-connections") || 0) + 1);
        live.failures = 0;
        live.backoff = 1000;
        fail("");
        say(msg.live);
        if (live.wanted && !live.recorder) startRecorder(socket);
      } else if (message.type === "segment") {
        panel.setAttribute("data-segments", message.count);
        say(msg.segments.replace("%(count)s", message.count));
      } else if (message.type === "error") {
        // The server closes the socket after a refusal (outside the session's window, not
        // allowed, another window took over, a stream it cannot read): reconnecting would only
        // be refused again, so the teacher reads why and decides. A warning leaves it open.
        socket.refused = true;
        fail(message.message);
      } else if (message.type === "ended") {
        socket.ended = true;
        panel.setAttribute("data-state", "ended");
        live.wanted = false;
        live.stopping = false;
        live.recorder = null;
        say(msg.ended);
        // The player beside the panel shows the end now, not at its next poll of status.json.
        document.dispatchEvent(new CustomEvent("live:ended", { detail: message.replay_url || "" }));
        if (message.replay_url) {
          var link = document.createElement("a");
          link.href = message.replay_url;
          link.textContent = msg.replay;
          statusLine.appendChild(document.createTextNode(" "));
          statusLine.appendChild(link);
        }
        socket.close();
        setControls();
      }
    };
    socket.onclose = function () {
      if (live.socket !== socket) return;
      live.socket = null;
      stopRecorder();
      if (socket.refused) {
        live.wanted = false;
        live.stopping = false;
        if (!socket.ended) say("");
        setControls();
      } else if (live.wanted || live.stopping) {
        reconnectLater();
      }
    };
  }

  function start() {
    if (!media.stream || !mime) {
      fail(msg.pickSource);
      return;
    }
    fail("");
    live.wanted = true;
    live.stopping = false;
    live.failures = 0;
    live.backoff = 1000;
    setControls();
    connect();
  }

  function stop() {
    live.wanted = false;
    live.stopping = true;
    clearTimeout(live.timer);
    say(msg.stopping);
    setControls();
    var socket = live.socket;
    if (live.recorder && live.recorder.state !== "inactive") {
      live.recorder.stop(); // its onstop sends "stop" after the last chunk
      live.recorder = null;
    } else if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "stop" }));
    } else if (!socket) {
      connect();
    }
  }

  // Wiring -------------------------------------------------------------------------------

  if (!hasMedia) {
    fail(msg.noMedia);
    obs.open = true;
  }
  if (!mime) {
    $(".go-live-unsupported").hidden = false;
    obs.open = true;
  }
  previewButton.addEventListener("click", startPreview);
  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  Array.prototype.forEach.call(panel.querySelectorAll('input[name="source"], select'), function (el) {
    el.addEventListener("change", function () {
      if (media.stream) startPreview();
    });
  });
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", fillDevices);
  }
  // Drop the connection as a bad line would (the page reconnects by itself); for tests and
  // for trying the reconnection out.
  panel.dropConnection = function () {
    if (live.socket) live.socket.close();
  };
  window.addEventListener("beforeunload", function (event) {
    if (live.wanted) event.preventDefault();
  });
  fillDevices();
  setControls();
})();
