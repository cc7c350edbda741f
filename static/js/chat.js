// Live chat and questions beside a session's video (eschool/chat, template chat/_panel.html).
//
// Live: a WebSocket to /ws/sessions/<pk>/chat/. After connecting the page says
// {"type": "hello", "after": <last message id seen>} and gets what it missed exactly once, then
// live events. A dropped socket reconnects with backoff (1 s, 2 s, 4 s ... 30 s) and resumes from
// the last id; posts not yet acknowledged are sent again with the same client id (stored once).
// A district event's viewers (the panel has data-poll-url) have no socket and cannot write:
// they fetch recent.json every POLL_MS (the same answer for everyone, kept by a CDN) and the
// list is made to match it: new messages added, hidden ones removed, pins and answers updated.
// Replay (the page's video[data-session-id][data-mode="replay"]): the kept chat is loaded once
// from messages.json and each message is shown when the video reaches its offset_seconds.
// Text is always put in with textContent: what people type is shown as typed, never as HTML.
(function () {
  "use strict";

  var MAX_BACKOFF = 30000;
  var POLL_MS = 5000;

  function ChatPanel(panel) {
    this.panel = panel;
    this.sessionId = panel.dataset.sessionId;
    this.me = panel.dataset.me ? Number(panel.dataset.me) : null;
    this.moderator = panel.dataset.moderator === "true";
    this.strings = JSON.parse(document.getElementById(panel.dataset.strings).textContent);
    this.status = panel.querySelector("[data-status]");
    this.lists = {
      chat: panel.querySelector('[data-list="chat"]'),
      question: panel.querySelector('[data-list="question"]'),
    };
    this.pinnedBox = panel.querySelector("[data-pinned]");
    this.pinnedList = panel.querySelector("[data-pinned-list]");
    this.form = panel.querySelector("[data-form]");
    this.input = this.form ? this.form.querySelector("input") : null;
    this.error = panel.querySelector("[data-error]");
    this.tab = "chat";
    this.mode = null;
    this.reset();
    this.bindTabs();
    this.bindForm();
    this.keepDraft();
    this.watchMode();
  }

  // The page may reload itself (the player does once when the live starts): what was being
  // typed, and in which tab, is kept for this browser tab and put back.
  ChatPanel.prototype.keepDraft = function () {
    var self = this;
    if (!this.form) return;
    var key = "chat-draft-" + this.sessionId;
    try {
      var saved = JSON.parse(sessionStorage.getItem(key) || "null");
      sessionStorage.removeItem(key);
      if (saved && saved.text && !this.input.value) {
        if (this.panel.querySelector('[role="tab"][data-tab="' + saved.tab + '"]')) {
          this.choose(saved.tab);
        }
        this.input.value = saved.text;
      }
    } catch (e) {
      // Storage refused (a private window): nothing was kept.
    }
    window.addEventListener("pagehide", function () {
      if (!self.input.value) return;
      try {
        sessionStorage.setItem(key, JSON.stringify({ text: self.input.value, tab: self.tab }));
      } catch (e) {
        // As above.
      }
    });
  };

  ChatPanel.prototype.reset = function () {
    this.messages = new Map(); // id -> {data, item}
    this.lastId = null;
    this.pending = new Map(); // client id -> {text, kind}
    this.backoff = 1000;
    this.socket = null;
    this.timer = null;
    this.polling = false;
    this.replay = null;
    this.lists.chat.textContent = "";
    this.lists.question.textContent = "";
    this.pinnedList.textContent = "";
    this.refreshCounts();
  };

  // Mode: the player may switch from live to replay without a reload. -------------------

  ChatPanel.prototype.video = function () {
    return document.querySelector('video[data-session-id="' + this.sessionId + '"]');
  };

  ChatPanel.prototype.wantedMode = function () {
    var video = this.video();
    return video && video.dataset.mode === "replay" ? "replay" : "live";
  };

  ChatPanel.prototype.watchMode = function () {
    var self = this;
    this.start(this.wantedMode());
    new MutationObserver(function () {
      var wanted = self.wantedMode();
      if (wanted !== self.mode || (wanted === "replay" && self.replay && self.replay.video !== self.video())) {
        self.stop();
        self.start(wanted);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-mode"] });
  };

  ChatPanel.prototype.start = function (mode) {
    this.mode = mode;
    this.reset();
    if (mode === "replay") {
      if (this.form) this.form.hidden = true;
      this.startReplay(this.video());
    } else if (this.panel.dataset.pollUrl) {
      this.startPolling();
    } else {
      if (this.form) this.form.hidden = false;
      this.connect();
    }
  };

  ChatPanel.prototype.stop = function () {
    clearTimeout(this.timer);
    this.polling = false;
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
    }
    if (this.replay) {
      this.replay.video.removeEventListener("timeupdate", this.replay.sync);
      this.replay.video.removeEventListener("seeked", this.replay.sync);
    }
  };

  // A district event: polling ----------------------------------------------------------

  ChatPanel.prototype.startPolling = function () {
    var self = this;
    this.polling = true;
    this.say(this.strings.connecting);
    var poll = function () {
      if (!self.polling) return;
      // A hidden tab asks nothing; it catches up when it is shown again.
      if (document.hidden) {
        self.timer = setTimeout(poll, POLL_MS);
        return;
      }
      fetch(self.panel.dataset.pollUrl, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (data) {
          if (!self.polling) return;
          self.say("");
          self.match(data.messages);
        })
        .catch(function () { if (self.polling) self.say(self.strings.reconnecting); })
        .then(function () { if (self.polling) self.timer = setTimeout(poll, POLL_MS); });
    };
    poll();
  };

  // Make the list what the server sent: it is the newest messages, so one of ours newer than
  // its oldest and missing from it was hidden.
  ChatPanel.prototype.match = function (messages) {
    var self = this;
    var sent = new Map();
    messages.forEach(function (message) { sent.set(message.id, message); });
    var oldest = messages.length ? messages.reduce(function (low, m) { return Math.min(low, m.id); }, Infinity) : Infinity;
    var hadNew = false;
    Array.from(this.messages.keys()).forEach(function (id) {
      if (!sent.has(id) && (id >= oldest || !messages.length)) self.remove(id, true);
    });
    messages.forEach(function (message) {
      if (self.messages.has(message.id)) {
        self.update(message.id, { pinned: message.pinned, answered: message.answered }, true);
      } else {
        self.add(message, true);
        hadNew = true;
      }
    });
    this.refresh();
    if (hadNew) this.scrollDown();
  };

  // Live ----------------------------------------------------------------------------

  ChatPanel.prototype.connect = function () {
    var self = this;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + this.panel.dataset.socket);
    this.socket = socket;
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: "hello", after: self.lastId }));
    };
    socket.onmessage = function (event) {
      self.handle(JSON.parse(event.data));
    };
    socket.onclose = function (event) {
      if (self.socket !== socket) return;
      self.socket = null;
      if (event.code === 4403) {
        self.say(self.strings.notAllowed);
        return;
      }
      self.say(self.strings.reconnecting);
      var wait = self.backoff * (0.75 + Math.random() / 2);
      self.backoff = Math.min(self.backoff * 2, MAX_BACKOFF);
      self.timer = setTimeout(function () { self.connect(); }, wait);
    };
  };

  ChatPanel.prototype.send = function (frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  };

  ChatPanel.prototype.handle = function (frame) {
    var self = this;
    switch (frame.type) {
      case "history":
        this.backoff = 1000;
        this.say("");
        this.moderator = frame.moderator;
        frame.messages.forEach(function (message) { self.add(message, true); });
        frame.state.hidden.forEach(function (id) { self.remove(id, true); });
        frame.state.pinned.forEach(function (id) { self.update(id, { pinned: true }, true); });
        frame.state.answered.forEach(function (id) { self.update(id, { answered: true }, true); });
        this.refresh();
        this.scrollDown();
        this.setMuted(frame.muted_until, frame.muted_message);
        // Posts sent while the connection was down (or whose ack was lost) go again.
        this.pending.forEach(function (post, clientId) {
          self.send({ type: "post", text: post.text, kind: post.kind, client_id: clientId });
        });
        break;
      case "message":
        this.add(frame.message);
        break;
      case "ack":
        this.pending.delete(frame.client_id);
        break;
      case "error":
        if (frame.client_id && this.pending.has(frame.client_id)) {
          var post = this.pending.get(frame.client_id);
          this.pending.delete(frame.client_id);
          if (this.input && !this.input.value) this.input.value = post.text;
        }
        this.showError(frame.message);
        break;
      case "hidden":
        this.remove(frame.id);
        break;
      case "pinned":
        this.update(frame.id, { pinned: frame.pinned });
        break;
      case "answered":
        this.update(frame.id, { answered: frame.answered });
        break;
      case "muted":
        if (frame.user === this.me) this.setMuted(frame.until, frame.message);
        break;
      case "unmuted":
        if (frame.user === this.me) this.setMuted(null, "");
        break;
    }
  };

  ChatPanel.prototype.setMuted = function (until, message) {
    var self = this;
    if (!this.input) return;
    clearTimeout(this.muteTimer);
    var muted = Boolean(until) && new Date(until).getTime() > Date.now();
    this.input.disabled = muted;
    this.form.querySelector("button").disabled = muted;
    if (muted) {
      this.showError(message);
      this.muteTimer = setTimeout(function () { self.setMuted(null, ""); }, new Date(until).getTime() - Date.now());
    } else {
      this.showError("");
    }
  };

  // Messages --------------------------------------------------------------------------

  ChatPanel.prototype.item = function (message) {
    var self = this;
    var item = document.createElement("li");
    item.className = "chat-message";
    item.dataset.id = message.id;
    var head = document.createElement("span");
    head.className = "chat-head";
    var author = document.createElement("strong");
    author.textContent = message.author.name;
    head.appendChild(author);
    if (message.teacher) head.appendChild(badge(this.strings.teacher, "chat-teacher"));
    var time = document.createElement("time");
    time.className = "muted";
    time.dateTime = message.created_at;
    time.textContent = message.created_at.slice(11, 16);
    head.appendChild(time);
    var text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = message.text;
    item.appendChild(head);
    item.appendChild(text);
    var flags = document.createElement("span");
    flags.className = "chat-flags";
    item.appendChild(flags);
    if (this.moderator && this.mode === "live") {
      var tools = document.createElement("span");
      tools.className = "chat-tools";
      tools.appendChild(button(this.strings.hide, function () { self.send({ type: "hide", id: message.id }); }));
      if (message.author.id !== this.me) {
        tools.appendChild(button(this.strings.mute, function () {
          if (window.confirm(self.strings.muteOf.replace("%(name)s", message.author.name))) {
            self.send({ type: "mute", user: message.author.id, minutes: 10 });
          }
        }));
      }
      var pin = button("", function () {
        var entry = self.messages.get(message.id);
        self.send({ type: "pin", id: message.id, value: !entry.data.pinned });
      });
      pin.dataset.action = "pin";
      tools.appendChild(pin);
      if (message.kind === "question") {
        var answered = button("", function () {
          var entry = self.messages.get(message.id);
          self.send({ type: "answered", id: message.id, value: !entry.data.answered });
        });
        answered.dataset.action = "answered";
        tools.appendChild(answered);
      }
      item.appendChild(tools);
    } else if (this.moderator && this.mode === "replay" && this.panel.dataset.hideUrl) {
      // Beside the replay the kept chat has no socket: a moderator hides a message over HTTP.
      var keptTools = document.createElement("span");
      keptTools.className = "chat-tools";
      keptTools.appendChild(button(this.strings.hide, function () { self.hideKept(message.id); }));
      item.appendChild(keptTools);
    }
    return item;
  };

  ChatPanel.prototype.hideKept = function (id) {
    var self = this;
    fetch(this.panel.dataset.hideUrl.replace(/\/0\/hide$/, "/" + id + "/hide"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": this.panel.dataset.csrf },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        self.say(self.strings.replay);
        self.remove(id);
      })
      .catch(function () { self.say(self.strings.hideFailed); });
  };

  // `quiet`: one of many changes at once; the caller refreshes the counts and pins after.
  ChatPanel.prototype.add = function (message, quiet) {
    if (this.messages.has(message.id)) return;
    var list = this.lists[message.kind] || this.lists.chat;
    var item = this.item(message);
    var stick = nearBottom(list.parentNode);
    // Keep id order even if two live events arrive out of order.
    var next = null;
    for (var i = list.children.length - 1; i >= 0; i--) {
      if (Number(list.children[i].dataset.id) < message.id) break;
      next = list.children[i];
    }
    list.insertBefore(item, next);
    this.messages.set(message.id, { data: message, item: item });
    if (this.lastId === null || message.id > this.lastId) this.lastId = message.id;
    this.paint(message.id, quiet);
    if (stick && !quiet) list.parentNode.scrollTop = list.parentNode.scrollHeight;
  };

  ChatPanel.prototype.remove = function (id, quiet) {
    var entry = this.messages.get(id);
    if (!entry) return;
    entry.item.remove();
    this.messages.delete(id);
    if (!quiet) this.refresh();
  };

  ChatPanel.prototype.update = function (id, changes, quiet) {
    var entry = this.messages.get(id);
    if (!entry) return;
    Object.assign(entry.data, changes);
    this.paint(id, quiet);
  };

  ChatPanel.prototype.refresh = function () {
    this.refreshPinned();
    this.refreshCounts();
  };

  ChatPanel.prototype.scrollDown = function () {
    var pane = this.lists[this.tab].parentNode;
    pane.scrollTop = pane.scrollHeight;
  };

  ChatPanel.prototype.paint = function (id, quiet) {
    var entry = this.messages.get(id);
    var data = entry.data;
    var flags = entry.item.querySelector(".chat-flags");
    flags.textContent = "";
    if (data.pinned) flags.appendChild(badge(this.strings.pinned, "chat-pinned-badge"));
    if (data.answered) flags.appendChild(badge(this.strings.answered, "chat-answered"));
    entry.item.classList.toggle("is-answered", Boolean(data.answered));
    var pin = entry.item.querySelector('[data-action="pin"]');
    if (pin) pin.textContent = data.pinned ? this.strings.unpin : this.strings.pin;
    var answered = entry.item.querySelector('[data-action="answered"]');
    if (answered) answered.textContent = data.answered ? this.strings.markUnanswered : this.strings.markAnswered;
    if (!quiet) this.refresh();
  };

  ChatPanel.prototype.refreshPinned = function () {
    var self = this;
    this.pinnedList.textContent = "";
    this.messages.forEach(function (entry) {
      if (!entry.data.pinned || entry.item.hidden) return;
      var line = document.createElement("li");
      var who = document.createElement("strong");
      who.textContent = entry.data.author.name + "：";
      line.appendChild(who);
      line.appendChild(document.createTextNode(entry.data.text));
      self.pinnedList.appendChild(line);
    });
    this.pinnedBox.hidden = !this.pinnedList.children.length;
  };

  ChatPanel.prototype.refreshCounts = function () {
    var open = 0;
    var shown = { chat: 0, question: 0 };
    this.messages.forEach(function (entry) {
      if (entry.item.hidden) return;
      shown[entry.data.kind] = (shown[entry.data.kind] || 0) + 1;
      if (entry.data.kind === "question" && !entry.data.answered) open += 1;
    });
    var count = this.panel.querySelector("[data-open-questions]");
    count.textContent = open;
    count.hidden = open === 0;
    this.panel.querySelector('[data-empty="chat"]').hidden = shown.chat > 0;
    this.panel.querySelector('[data-empty="question"]').hidden = shown.question > 0;
  };

  // Replay ------------------------------------------------------------------------------

  ChatPanel.prototype.startReplay = function (video) {
    var self = this;
    this.say(this.strings.replay);
    fetch(this.panel.dataset.messagesUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        if (self.mode !== "replay") return;
        // Messages written before the broadcast (no offset) come first, then by offset.
        var messages = data.messages.slice().sort(function (a, b) {
          var x = a.offset_seconds === null ? -1 : a.offset_seconds;
          var y = b.offset_seconds === null ? -1 : b.offset_seconds;
          return x - y || a.id - b.id;
        });
        messages.forEach(function (message) { self.add(message, true); });
        // Added quietly: the counts (and "no messages yet") are brought up to date here, as
        // the first sync below does nothing when the video is already past every message.
        self.refresh();
        // messages[0..shownUpTo] are shown: all of them, as just added. The first sync hides
        // those the video has not reached (at 0:00, every one written during the broadcast).
        var shownUpTo = messages.length - 1;
        var sync = function () {
          var now = video.currentTime;
          var upTo = -1;
          while (upTo + 1 < messages.length) {
            var offset = messages[upTo + 1].offset_seconds;
            if (offset !== null && offset > now) break;
            upTo += 1;
          }
          if (upTo === shownUpTo) return;
          messages.forEach(function (message, index) {
            var entry = self.messages.get(message.id);
            if (entry) entry.item.hidden = index > upTo;
          });
          shownUpTo = upTo;
          self.refresh();
          self.scrollDown();
        };
        self.replay = { video: video, sync: sync };
        video.addEventListener("timeupdate", sync);
        video.addEventListener("seeked", sync);
        sync();
      })
      .catch(function () { self.say(self.strings.couldNotLoad); });
  };

  // Tabs and the form ---------------------------------------------------------------------

  ChatPanel.prototype.bindTabs = function () {
    var self = this;
    var tabs = Array.prototype.slice.call(this.panel.querySelectorAll('[role="tab"]'));
    tabs.forEach(function (tab, index) {
      tab.addEventListener("click", function () { self.choose(tab.dataset.tab); });
      tab.addEventListener("keydown", function (event) {
        if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
        var other = tabs[(index + 1) % tabs.length];
        self.choose(other.dataset.tab);
        other.focus();
        event.preventDefault();
      });
    });
  };

  ChatPanel.prototype.choose = function (name) {
    this.tab = name;
    this.panel.querySelectorAll('[role="tab"]').forEach(function (tab) {
      var selected = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.tabIndex = selected ? 0 : -1;
    });
    this.panel.querySelectorAll("[data-pane]").forEach(function (pane) {
      pane.hidden = pane.dataset.pane !== name;
    });
    if (this.form) {
      var label = this.form.querySelector("[data-label]");
      label.textContent = name === "question" ? label.dataset.labelQuestion : label.dataset.labelChat;
    }
    this.scrollDown();
    this.refreshCounts();
  };

  ChatPanel.prototype.bindForm = function () {
    var self = this;
    if (!this.form) return;
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.input.value.trim();
      if (!text) return;
      var clientId = newClientId();
      var kind = self.tab === "question" ? "question" : "chat";
      self.pending.set(clientId, { text: text, kind: kind });
      self.showError("");
      self.input.value = "";
      // Not connected: kept in `pending` and sent after the next hello.
      self.send({ type: "post", text: text, kind: kind, client_id: clientId });
    });
  };

  ChatPanel.prototype.showError = function (message) {
    if (!this.error) return;
    this.error.textContent = message || "";
    this.error.hidden = !message;
  };

  ChatPanel.prototype.say = function (message) {
    this.status.textContent = message;
    this.status.hidden = !message;
  };

  function badge(text, className) {
    var span = document.createElement("span");
    span.className = "badge " + className;
    span.textContent = text;
    return span;
  }

  function button(text, onClick) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "link";
    element.textContent = text;
    element.addEventListener("click", onClick);
    return element;
  }

  function nearBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function init() {
    document.querySelectorAll("[data-chat-panel]").forEach(function (panel) {
      if (!panel.chat) panel.chat = new ChatPanel(panel);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
