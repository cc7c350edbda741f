// Resumable upload of a recorded lesson (live/upload.html, server side eschool/live/chunked.py).
// The file goes in 8 MB pieces, each PUT with the offset it starts at; the server appends only
// at the size it has and answers the new size. The upload id is kept in this browser keyed by
// the file's name, size and date, so after a dropped connection or a reloaded page the same
// file continues where the server stopped. Then the packaging's progress is polled until the
// replay is ready or refused. Without JavaScript the form posts the whole file at once.
(function () {
  "use strict";
  var form = document.getElementById("video-upload-form");
  if (!form || !window.XMLHttpRequest || !window.Blob || !Blob.prototype.slice) { return; }
  var texts = document.getElementById("upload-texts").dataset;
  var input = form.querySelector("input[type=file]");
  var submit = form.querySelector("button[type=submit]");
  var uploadBox = form.querySelector(".upload-progress");
  var uploadBar = uploadBox.querySelector("progress");
  var uploadStatus = uploadBox.querySelector(".upload-status");
  var pauseButton = uploadBox.querySelector(".pause-upload");
  var packBox = form.querySelector(".packaging-progress");
  var packBar = packBox.querySelector("progress");
  var packStatus = packBox.querySelector(".packaging-status");
  var errorLine = form.querySelector(".upload-error");
  var done = form.querySelector(".upload-done");
  var interrupted = form.querySelector(".interrupted");
  var sessionId = form.getAttribute("data-session-id");
  var chunkBytes = parseInt(form.getAttribute("data-chunk-bytes"), 10);
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
  var suffixes = form.getAttribute("data-suffixes").split(",");
  var csrf = form.getAttribute("data-csrf");
  var PREFIX = "eschool-upload:" + sessionId + ":";
  var paused = false;
  var running = false;

  function keyOf(file) { return PREFIX + file.name + ":" + file.size + ":" + file.lastModified; }
  function remember(file, value) {
    try {
      if (value) { localStorage.setItem(keyOf(file), JSON.stringify(value)); } else { localStorage.removeItem(keyOf(file)); }
    } catch (e) { /* no storage: the upload still works, only not across reloads */ }
  }
  function recalled(file) {
    try { return JSON.parse(localStorage.getItem(keyOf(file)) || "null"); } catch (e) { return null; }
  }
  // Under a megabyte in KB: a 20 KB file is not "0.0 MB of 0.0 MB".
  function megabytes(bytes) {
    if (bytes < 1048576) { return Math.max(bytes ? 1 : 0, Math.round(bytes / 1024)) + " KB"; }
    return (bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0) + " MB";
  }
  function showError(message) {
    errorLine.textContent = message;
    errorLine.hidden = false;
    // A refused file: "100 %" above the refusal would say it went through.
    uploadBox.hidden = true;
    running = false;
    submit.disabled = false;
    pauseButton.hidden = true;
  }

  // Uploads this browser left unfinished for this session: say how to continue them.
  (function listInterrupted() {
    var names = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key.indexOf(PREFIX) === 0) {
          var value = JSON.parse(localStorage.getItem(key));
          if (value && value.name) { names.push(value.name + " (" + Math.floor(100 * value.offset / value.size) + "%)"); }
        }
      }
    } catch (e) { return; }
    if (names.length) {
      interrupted.textContent = texts.interrupted + " " + names.join(", ");
      interrupted.hidden = false;
    }
  })();

  function request(method, url, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      if (onProgress) { xhr.upload.addEventListener("progress", function (e) { onProgress(e.loaded); }); }
      xhr.addEventListener("load", function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText || "{}"); } catch (e) { data = {}; }
        resolve({ status: xhr.status, data: data, text: xhr.responseText });
      });
      xhr.addEventListener("error", function () { reject(new Error("network")); });
      xhr.addEventListener("timeout", function () { reject(new Error("network")); });
      xhr.send(body === undefined ? null : body);
    });
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  // Speed over the last few seconds, so a stall shows at once.
  var samples = [];
  function report(sent, total) {
    var now = Date.now();
    samples.push([now, sent]);
    while (samples.length > 2 && now - samples[0][0] > 5000) { samples.shift(); }
    var percent = Math.floor(100 * sent / total);
    uploadBar.value = percent;
    uploadBar.textContent = percent + "%";
    var speed = "";
    var span = (now - samples[0][0]) / 1000;
    if (span > 0.5) { speed = " · " + megabytes((sent - samples[0][1]) / span) + "/s"; }
    uploadStatus.textContent = percent + "% · " + megabytes(sent) + " " + texts.of + " " + megabytes(total) + speed;
  }

  function begin(file) {
    var known = recalled(file);
    if (known && known.url) {
      return request("GET", known.url).then(function (answer) {
        if (answer.status === 200) { return answer.data.url ? answer.data : Object.assign(answer.data, { url: known.url }); }
        remember(file, null);
        return begin(file);
      });
    }
    var body = JSON.stringify({ name: file.name, size: file.size, last_modified: file.lastModified });
    return request("POST", form.getAttribute("data-start-url"), body).then(function (answer) {
      if (answer.status !== 201) { throw new Error(answer.data.error || texts.type); }
      return answer.data;
    });
  }

  function send(file, upload) {
    var offset = upload.offset;
    var failures = 0;
    samples = [];
    function next() {
      if (upload.recording_id) { return Promise.resolve(upload); }
      if (paused) { return Promise.resolve(null); }
      var end = Math.min(file.size, offset + chunkBytes);
      var piece = file.slice(offset, end);
      report(offset, file.size);
      return request("PUT", upload.url + "?offset=" + offset, piece, function (loaded) {
        report(offset + loaded, file.size);
      }).then(function (answer) {
        failures = 0;
        if (answer.status === 200) {
          offset = answer.data.offset;
          upload.recording_id = answer.data.recording_id;
          upload.progress_url = answer.data.progress_url;
          remember(file, { url: upload.url, name: file.name, size: file.size, offset: offset });
          return next();
        }
        if (answer.status === 409 && typeof answer.data.offset === "number") {
          offset = answer.data.offset;  // the server has more (or less): go on from there
          return next();
        }
        if (answer.status === 400 && typeof answer.data.offset === "number") {
          offset = answer.data.offset;  // a piece cut short: send it again
          return next();
        }
        remember(file, null);
        throw new Error(answer.data.error || texts.type);
      }, function () {
        // The connection dropped: try again, waiting longer each time, up to 30 s.
        failures += 1;
        uploadStatus.textContent = texts.retrying;
        return wait(Math.min(30000, 1000 * Math.pow(2, failures))).then(function () {
          return request("GET", upload.url).then(function (answer) {
            if (answer.status === 200) { offset = answer.data.offset; upload.recording_id = answer.data.recording_id; upload.progress_url = answer.data.progress_url; }
            return next();
          }, next);
        });
      });
    }
    return next();
  }

  function poll(url) {
    return request("GET", url).then(function (answer) {
      var data = answer.data;
      var percent = Math.floor(100 * (data.progress || 0));
      packBar.value = percent;
      packBar.textContent = percent + "%";
      packStatus.textContent = percent + "%";
      if (data.status === "ready") {
        packStatus.textContent = texts.ready;
        done.hidden = false;
        running = false;
        submit.disabled = false;
        return refreshRecordings();
      }
      if (data.status === "failed") {
        packBox.hidden = true;
        showError(data.error);
        return;
      }
      return wait(1500).then(function () { return poll(url); });
    }, function () {
      return wait(3000).then(function () { return poll(url); });
    });
  }

  // The 本课的录像 table as the server has it now (the new upload, which one is the replay).
  function refreshRecordings() {
    var section = document.getElementById("session-recordings");
    if (!section || !window.DOMParser) { return; }
    return request("GET", window.location.pathname).then(function (answer) {
      var page = new DOMParser().parseFromString(answer.text, "text/html");
      var fresh = page.getElementById("session-recordings");
      if (answer.status === 200 && fresh) { section.innerHTML = fresh.innerHTML; }
      var notice = page.getElementById("replay-notice");
      var current = document.getElementById("replay-notice");
      if (notice && current) { current.textContent = notice.textContent; }
    }, function () { /* the table stays as it was; a reload shows it */ });
  }

  function run(file) {
    running = true;
    paused = false;
    submit.disabled = true;
    errorLine.hidden = true;
    done.hidden = true;
    packBox.hidden = true;
    uploadBox.hidden = false;
    pauseButton.hidden = false;
    pauseButton.textContent = texts.pause;
    begin(file).then(function (upload) {
      return send(file, upload);
    }).then(function (upload) {
      if (!upload) {  // paused
        running = false;
        uploadStatus.textContent = texts.paused;
        pauseButton.textContent = texts.continue;
        return;
      }
      remember(file, null);
      interrupted.hidden = true;
      uploadBar.value = 100;
      uploadBar.textContent = "100%";
      uploadStatus.textContent = texts.uploaded;
      pauseButton.hidden = true;
      packBox.hidden = false;
      return poll(upload.progress_url);
    }).catch(function (error) {
      showError(error.message === "network" ? texts.retrying : error.message);
    });
  }

  pauseButton.addEventListener("click", function () {
    if (running) { paused = true; return; }
    var file = input.files && input.files[0];
    if (file) { run(file); }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (running) { return; }
    var file = input.files && input.files[0];
    if (!file) { showError(texts.choose); return; }
    var lower = file.name.toLowerCase();
    var typeOk = suffixes.some(function (suffix) { return lower.slice(-suffix.length) === suffix; });
    if (!typeOk) { showError(texts.type); return; }
    if (file.size > maxBytes) { showError(texts.tooLarge); return; }
    run(file);
  });

  // Recordings still being prepared (for instance after a reload): keep their status current.
  Array.prototype.forEach.call(document.querySelectorAll("tr[data-progress-url]"), function (row) {
    var cell = row.querySelector(".recording-status");
    function refresh() {
      request("GET", row.getAttribute("data-progress-url")).then(function (answer) {
        var data = answer.data;
        if (data.status === "processing") {
          cell.textContent = cell.textContent.replace(/\d+%$/, Math.floor(100 * data.progress) + "%");
          setTimeout(refresh, 2000);
        } else if (data.status === "ready") {
          cell.textContent = texts.ready;
        } else if (data.status === "failed") {
          cell.textContent = data.error;
        }
      }, function () { setTimeout(refresh, 5000); });
    }
    refresh();
  });
})();
