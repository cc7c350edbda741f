// The live room of a tutoring session: chat, photos, whiteboard, typing, voice, the end.
//
// One WebSocket (protocol in eschool/tutoring/consumers.py). The client remembers the last
// message number it saw; after a dropped connection it says hello with that number and gets
// exactly what it missed. What it posts waits in an outbox under its own client id until the
// server acknowledges it, and is sent again after a reconnect: the server stores it once.
// When nothing has come for a while it asks "anything new?" (sync): a message the server's
// channel layer dropped, or the end of the session, arrives then rather than never. No answer
// to a sync means the connection is dead although the phone does not know it: reconnect.
(function () {
  "use strict";

  var configNode = document.getElementById("room-config");
  var root = document.getElementById("room");
  if (!configNode || !root) { return; }
  var config = JSON.parse(configNode.textContent);
  var S = config.strings;
  var me = config.role;
  var other = me === "student" ? "teacher" : "student";

  var log = document.getElementById("room-log");
  var statusLine = document.getElementById("room-status");
  var typingLine = document.getElementById("room-typing");
  var composer = document.getElementById("room-composer");
  var textBox = document.getElementById("room-text");
  var photoInput = document.getElementById("room-photo");

  var socket = null;
  var lastSeq = 0;
  var ended = config.ended;
  var outbox = []; // posts not yet acknowledged, in the order they were made
  var pendingNodes = {}; // client id -> the chat line shown while it is being sent
  var retryDelay = 500;
  var retryTimer = null;
  var typingTimer = null;
  var lastTypingSent = 0;
  var voice = null;
  var SYNC_AFTER = 25000; // ms without a frame from the server before a sync
  var SYNC_ANSWER_WITHIN = 10000; // ms for the server to answer it
  var welcomed = false; // this connection had its welcome
  var resyncing = false; // a hello is on its way after a gap
  var lastHeard = Date.now();
  var syncDeadline = null;

  function newId() { return window.Whiteboard.newId(); }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key] || ""; });
  }

  function setStatus(text) { statusLine.textContent = text; }

  // --- the whiteboard -------------------------------------------------------------------------

  var myStrokes = []; // ids of this side's strokes on the board, for undo
  var board = new window.Whiteboard(document.getElementById("board"), {
    background: config.background,
    keyPrefix: me + ":",
    readOnly: ended,
    onDraw: function (part) { send({type: "draw", stroke: part}); },
    onStroke: function (stroke) {
      myStrokes.push(stroke.id);
      post("stroke", {id: stroke.id, color: stroke.color, width: stroke.width, erase: stroke.erase,
        points: stroke.points}, stroke.id);
    }
  });
  root.__board = board; // for tests and the curious

  Array.prototype.forEach.call(document.querySelectorAll(".swatch"), function (button) {
    button.addEventListener("click", function () {
      board.setColor(button.getAttribute("data-colour"));
      Array.prototype.forEach.call(document.querySelectorAll(".swatch"), function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      document.getElementById("board-eraser").setAttribute("aria-pressed", "false");
    });
  });
  document.getElementById("board-eraser").addEventListener("click", function () {
    var on = this.getAttribute("aria-pressed") !== "true";
    board.setEraser(on);
    this.setAttribute("aria-pressed", String(on));
  });
  document.getElementById("board-undo").addEventListener("click", function () {
    var id = myStrokes.pop();
    if (!id) { return; }
    board.remove(me + ":" + id);
    post("undo", {stroke: id});
  });
  document.getElementById("board-clear").addEventListener("click", function () {
    board.clear();
    myStrokes = [];
    post("clear", {});
  });

  // Tabs: chat and whiteboard share the phone's screen.
  var tabs = document.querySelectorAll(".room-tab");
  Array.prototype.forEach.call(tabs, function (tab) {
    tab.addEventListener("click", function () {
      Array.prototype.forEach.call(tabs, function (t) {
        var selected = t === tab;
        t.setAttribute("aria-selected", String(selected));
        document.getElementById(t.getAttribute("aria-controls")).hidden = !selected;
      });
      if (tab.id === "tab-board") { board.resize(); }
    });
  });

  // --- showing messages -----------------------------------------------------------------------

  function line(message, pending) {
    var item = document.createElement("li");
    item.className = "room-message from-" + message.author + (message.author === me ? " mine" : "");
    if (pending) { item.classList.add("pending"); }
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = message.author === me ? S.you : message.author_name;
    item.appendChild(who);
    if (message.at) {
      var time = document.createElement("time");
      time.className = "muted";
      time.textContent = " " + message.at.slice(11, 16);
      item.appendChild(time);
    }
    if (message.kind === "photo") {
      var link = document.createElement("a");
      link.href = message.body.url;
      var img = document.createElement("img");
      img.src = message.body.url;
      img.alt = S.photo;
      img.className = "room-photo";
      link.appendChild(img);
      item.appendChild(link);
    } else {
      var text = document.createElement("p");
      text.className = "text";
      text.textContent = message.body.text; // shown as typed, never as HTML
      item.appendChild(text);
    }
    return item;
  }

  function notice(text) {
    var item = document.createElement("li");
    item.className = "room-message notice";
    item.textContent = text;
    log.appendChild(item);
    scrollDown();
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // "Not sent: why" as the language writes it (Chinese: 未发送：…, a full-width colon).
  function notSentBecause(reason) { return S.not_sent_because.replace("%(reason)s", reason); }

  function systemText(body) {
    if (body.event === "ended") {
      if (body.by === "closing") { return S.ended_at_closing; }
      return body.by === "student" ? S.ended_by_student : S.ended_by_teacher;
    }
    if (body.event === "transferred") { return format(S.transferred, {name: body.to}); }
    if (body.event === "continued") { return format(S.continued, {name: body.from}); }
    return S.started;
  }

  function receive(message) {
    if (message.seq <= lastSeq) { return; } // seen already (the server never repeats; belt and braces)
    if (message.seq > lastSeq + 1) {
      // A number is missing (the server should never let this happen): start again from the
      // last one seen; what arrives meanwhile comes again after the welcome.
      if (!resyncing) { resyncing = true; send({type: "hello", after: lastSeq}); }
      return;
    }
    lastSeq = message.seq;
    var body = message.body;
    var key = message.author + ":" + (body.id || "");
    switch (message.kind) {
      case "text":
      case "photo":
        var shown = pendingNodes[message.client_id];
        var node = line(message, false);
        if (message.author === me && shown) {
          log.removeChild(shown);
          delete pendingNodes[message.client_id];
        }
        // In the server's order, above the lines still being sent: a line written while the
        // connection was down comes after what the other side said meanwhile, as on theirs.
        log.insertBefore(node, log.querySelector(".room-message.pending:not(.failed)"));
        scrollDown();
        break;
      case "stroke":
        board.put(key, body);
        if (message.author === me && myStrokes.indexOf(body.id) < 0) { myStrokes.push(body.id); }
        break;
      case "undo":
        board.remove(message.author + ":" + body.stroke);
        if (message.author === me) {
          myStrokes = myStrokes.filter(function (id) { return id !== body.stroke; });
        }
        break;
      case "clear":
        board.clear();
        myStrokes = [];
        break;
      case "system":
        notice(systemText(body));
        if (body.event === "transferred" && body.url && me === "student") {
          window.location.assign(body.url);
        }
        break;
    }
  }

  var endShown = false;
  function showEnded() {
    if (endShown) { return; }
    endShown = true;
    ended = true;
    root.setAttribute("data-ended", "true");
    setStatus(S.ended);
    // Nobody types in an ended room: "… is typing" must not outlive the end.
    window.clearTimeout(typingTimer);
    typingLine.textContent = "";
    if (textBox.value.trim()) {
      // What was being typed stays on screen, to copy, instead of vanishing with the composer.
      textBox.readOnly = true;
      composer.querySelector(".room-actions").hidden = true;
    } else {
      composer.hidden = true;
    }
    document.getElementById("room-controls").hidden = true;
    var tools = document.querySelector(".board-tools");
    if (tools) { tools.hidden = true; }
    var more = document.querySelector(".room-more");
    if (more) { more.hidden = true; }
    var rate = document.getElementById("room-rate");
    if (rate && me === "student") { rate.hidden = false; }
    document.getElementById("room-after-end").hidden = false;
    hangUp(false);
  }

  // --- the socket -------------------------------------------------------------------------------

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function post(kind, body, clientId) {
    if (ended) { return; }
    var frame = {type: "post", client_id: clientId || newId(), kind: kind, body: body};
    outbox.push(frame);
    send(frame);
    return frame.client_id;
  }

  function acknowledged(clientId) {
    outbox = outbox.filter(function (frame) { return frame.client_id !== clientId; });
  }

  function heard() {
    lastHeard = Date.now();
    window.clearTimeout(syncDeadline);
    syncDeadline = null;
  }

  // Give up on the current connection at once and open a new one.
  function reconnectNow() {
    window.clearTimeout(retryTimer);
    window.clearTimeout(syncDeadline);
    syncDeadline = null;
    var stale = socket;
    socket = null;
    if (stale) { stale.close(); }
    retryDelay = 500;
    connect();
  }

  window.setInterval(function () {
    if (ended || !welcomed || syncDeadline || Date.now() - lastHeard < SYNC_AFTER) { return; }
    if (send({type: "sync"})) {
      syncDeadline = window.setTimeout(function () {
        if (!ended) { setStatus(S.reconnecting); reconnectNow(); }
      }, SYNC_ANSWER_WITHIN);
    }
  }, 5000);

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + window.location.host + config.ws);
    socket = ws;
    welcomed = false;
    resyncing = false;
    setStatus(S.connecting);
    ws.addEventListener("open", function () {
      retryDelay = 500;
      ws.send(JSON.stringify({type: "hello", after: lastSeq}));
    });
    ws.addEventListener("message", function (event) {
      if (ws !== socket) { return; } // a connection given up on
      heard();
      var frame = JSON.parse(event.data);
      switch (frame.type) {
        case "welcome":
          welcomed = true;
          resyncing = false;
          if (frame.ended) { showEnded(); break; }
          setStatus(S.connected);
          outbox.forEach(function (pending) { send(pending); }); // the server keeps each once
          break;
        case "synced": break;
        case "message": receive(frame); break;
        case "ack": acknowledged(frame.client_id); break;
        case "error":
          acknowledged(frame.client_id);
          var failed = pendingNodes[frame.client_id];
          if (failed) {
            failed.classList.add("failed");
            var why = document.createElement("p");
            why.className = "field-error";
            why.textContent = notSentBecause(frame.message);
            failed.appendChild(why);
            delete pendingNodes[frame.client_id];
          } else if (frame.message) {
            notice(frame.message);
          }
          break;
        case "typing":
          if (ended) { break; }
          typingLine.textContent = frame.from === "teacher" ? S.typing_teacher : S.typing_student;
          window.clearTimeout(typingTimer);
          typingTimer = window.setTimeout(function () { typingLine.textContent = ""; }, 4000);
          break;
        case "draw":
          board.live(frame.from + ":" + frame.stroke.id, frame.stroke);
          break;
        case "signal": onSignal(frame.data); break;
        case "ended": showEnded(); break;
      }
    });
    ws.addEventListener("close", function () {
      if (ws !== socket) { return; }
      socket = null;
      if (ended) { return; }
      setStatus(S.reconnecting);
      retryTimer = window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    });
  }

  // Tests drop the connection as a phone losing its signal would.
  root.__drop = function () { if (socket) { socket.close(); } };

  // Back online: try at once rather than at the end of the back-off.
  window.addEventListener("online", function () {
    if (ended || (socket && socket.readyState === WebSocket.OPEN)) { return; }
    reconnectNow();
  });

  // --- composing --------------------------------------------------------------------------------

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    if (ended) { return; }
    var text = textBox.value.trim();
    if (!text) { return; }
    var clientId = newId();
    var node = line({author: me, kind: "text", body: {text: text}}, true);
    pendingNodes[clientId] = node;
    log.appendChild(node);
    scrollDown();
    post("text", {text: text}, clientId);
    textBox.value = "";
  });
  textBox.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit ? composer.requestSubmit() : composer.dispatchEvent(new Event("submit"));
    }
  });
  textBox.addEventListener("input", function () {
    var now = Date.now();
    if (now - lastTypingSent > 2500) { lastTypingSent = now; send({type: "typing"}); }
  });

  photoInput.addEventListener("change", function () {
    var file = photoInput.files && photoInput.files[0];
    if (!file) { return; }
    var clientId = newId();
    var node = line({author: me, kind: "text", body: {text: S.uploading}}, true);
    pendingNodes[clientId] = node;
    log.appendChild(node);
    scrollDown();
    var data = new FormData();
    data.append("photo", file);
    data.append("client_id", clientId);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", config.photoUrl);
    xhr.setRequestHeader("X-CSRFToken", config.csrf);
    xhr.addEventListener("load", function () {
      var reply = {};
      try { reply = JSON.parse(xhr.responseText); } catch (e) { reply = {}; }
      if (xhr.status !== 200 && pendingNodes[clientId]) {
        node.classList.add("failed");
        node.querySelector(".text").textContent = reply.error ? notSentBecause(reply.error) : S.not_sent;
        delete pendingNodes[clientId];
      }
    });
    xhr.send(data);
    photoInput.value = "";
  });

  document.getElementById("end-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (window.confirm(S.confirm_end)) { send({type: "end"}); }
  });

  // --- voice: WebRTC between the two browsers; the server relays the signalling only -------------

  var voiceButton = document.getElementById("voice-button");
  var voiceAudio = document.getElementById("voice-audio");

  function startPeer() {
    var peer = new RTCPeerConnection({iceServers: config.iceServers || []});
    peer.addEventListener("icecandidate", function (event) {
      if (event.candidate) { send({type: "signal", data: {kind: "ice", candidate: event.candidate.toJSON()}}); }
    });
    peer.addEventListener("track", function (event) { voiceAudio.srcObject = event.streams[0]; });
    return peer;
  }

  function withMicrophone(peer) {
    return navigator.mediaDevices.getUserMedia({audio: true}).then(function (stream) {
      stream.getTracks().forEach(function (track) { peer.addTrack(track, stream); });
      return stream;
    });
  }

  function hangUp(tellOther) {
    if (!voice) { return; }
    if (voice.stream) { voice.stream.getTracks().forEach(function (t) { t.stop(); }); }
    voice.peer.close();
    voice = null;
    voiceButton.setAttribute("aria-pressed", "false");
    voiceButton.textContent = S.voice_off;
    if (tellOther) { send({type: "signal", data: {kind: "hangup"}}); }
  }

  voiceButton.addEventListener("click", function () {
    if (voice) { hangUp(true); return; }
    if (!window.RTCPeerConnection || !navigator.mediaDevices) { notice(S.voice_unavailable); return; }
    var peer = startPeer();
    voice = {peer: peer};
    withMicrophone(peer).then(function (stream) {
      voice.stream = stream;
      return peer.createOffer();
    }).then(function (offer) {
      return peer.setLocalDescription(offer);
    }).then(function () {
      send({type: "signal", data: {kind: "offer", sdp: peer.localDescription.sdp}});
      voiceButton.setAttribute("aria-pressed", "true");
      voiceButton.textContent = S.voice_on;
    }).catch(function () { hangUp(false); notice(S.voice_unavailable); });
  });

  function onSignal(data) {
    if (data.kind === "hangup") { hangUp(false); return; }
    if (data.kind === "offer") {
      if (!window.RTCPeerConnection || !window.confirm(S.voice_incoming)) { return; }
      if (voice) { hangUp(false); }
      var peer = startPeer();
      voice = {peer: peer};
      peer.setRemoteDescription({type: "offer", sdp: data.sdp}).then(function () {
        return withMicrophone(peer);
      }).then(function (stream) {
        voice.stream = stream;
        return peer.createAnswer();
      }).then(function (answer) {
        return peer.setLocalDescription(answer);
      }).then(function () {
        send({type: "signal", data: {kind: "answer", sdp: peer.localDescription.sdp}});
        voiceButton.setAttribute("aria-pressed", "true");
        voiceButton.textContent = S.voice_on;
      }).catch(function () { hangUp(true); });
      return;
    }
    if (!voice) { return; }
    if (data.kind === "answer") {
      voice.peer.setRemoteDescription({type: "answer", sdp: data.sdp});
    } else if (data.kind === "ice" && data.candidate) {
      voice.peer.addIceCandidate(data.candidate).catch(function () {});
    }
  }

  // An ended room still connects once: it loads the history, then the server closes it.
  connect();
})();
