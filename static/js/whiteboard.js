// A shared whiteboard on a <canvas> over the question photo: pen, colours, eraser, undo.
//
// Points are stored normalised to 0..1 of the board, and the board keeps the photo's aspect
// ratio, so a stroke drawn on a 375 px phone lands on the same spot of a teacher's 1280 px
// screen. A stroke is a plain object {id, color, width, erase, points: [[x, y], ...]} where
// width is a fraction of the board's width.
//
// The board knows nothing of the network: it reports what the local hand draws through
// callbacks (onDraw with each small batch of new points while the pen moves, onStroke with
// the finished stroke) and draws what it is given (live(), put(), remove(), clear()).
(function () {
  "use strict";

  var DEFAULT_ASPECT = 4 / 3; // width / height when there is no photo
  var FLUSH_MS = 60; // how often a moving pen's new points are sent
  var MAX_POINTS = 2000; // a stroke longer than this is ended and a new one begun
  var MAX_LIVE_POINTS = 200; // points in one live piece (the server's DRAW_POINTS_LIMIT)
  var PEN_WIDTH = 0.006;
  var ERASER_WIDTH = 0.04;

  function round(value) {
    return Math.round(Math.min(1, Math.max(0, value)) * 10000) / 10000;
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  function Whiteboard(container, options) {
    options = options || {};
    this.container = container;
    this.onDraw = options.onDraw || function () {};
    this.onStroke = options.onStroke || function () {};
    this.aspect = DEFAULT_ASPECT;
    this.color = options.color || "#c0392b";
    this.erasing = false;
    this.strokes = []; // [{key, stroke}] in the order they are drawn
    this.current = null; // the stroke under the local pen
    this.sentUpTo = 0; // how many of its points were reported already
    this.flushTimer = null;
    this.readOnly = !!options.readOnly;
    // Keys of finished strokes are "<author>:<stroke id>"; this side's author comes first.
    this.keyPrefix = options.keyPrefix || "me:";

    container.classList.add("whiteboard");
    this.background = document.createElement("img");
    this.background.alt = "";
    this.background.className = "whiteboard-background";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "whiteboard-canvas";
    container.appendChild(this.background);
    container.appendChild(this.canvas);
    this.context = this.canvas.getContext("2d");

    var self = this;
    this.background.addEventListener("load", function () {
      if (self.background.naturalWidth && self.background.naturalHeight) {
        self.aspect = self.background.naturalWidth / self.background.naturalHeight;
      }
      self.resize();
    });
    if (options.background) { this.setBackground(options.background); }
    if (!this.readOnly) { this._listen(); }
    window.addEventListener("resize", function () { self.resize(); });
    this.resize();
  }

  Whiteboard.newId = newId;

  Whiteboard.prototype.setBackground = function (url) {
    this.background.hidden = !url;
    if (url) { this.background.src = url; }
  };

  Whiteboard.prototype.setColor = function (color) {
    this.color = color;
    this.erasing = false;
  };

  Whiteboard.prototype.setEraser = function (on) {
    this.erasing = !!on;
  };

  // The board fills its container's width and keeps the photo's aspect ratio.
  Whiteboard.prototype.resize = function () {
    var width = this.container.clientWidth;
    if (!width) { return; }
    var height = Math.round(width / this.aspect);
    var ratio = window.devicePixelRatio || 1;
    this.container.style.height = height + "px";
    this.canvas.style.width = width + "px";
    this.canvas.style.height = height + "px";
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.redraw();
  };

  Whiteboard.prototype._drawStroke = function (stroke) {
    var ctx = this.context;
    var w = this.canvas.width;
    var h = this.canvas.height;
    var points = stroke.points || [];
    if (!points.length) { return; }
    ctx.save();
    ctx.globalCompositeOperation = stroke.erase ? "destination-out" : "source-over";
    ctx.strokeStyle = stroke.erase ? "#000" : stroke.color;
    ctx.fillStyle = ctx.strokeStyle;
    ctx.lineWidth = Math.max(1, (stroke.width || PEN_WIDTH) * w);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(points[0][0] * w, points[0][1] * h);
    if (points.length === 1) {
      ctx.arc(points[0][0] * w, points[0][1] * h, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      for (var i = 1; i < points.length; i++) { ctx.lineTo(points[i][0] * w, points[i][1] * h); }
      ctx.stroke();
    }
    ctx.restore();
  };

  Whiteboard.prototype.redraw = function () {
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (var i = 0; i < this.strokes.length; i++) { this._drawStroke(this.strokes[i].stroke); }
    if (this.current) { this._drawStroke(this.current); }
  };

  Whiteboard.prototype._index = function (key) {
    for (var i = 0; i < this.strokes.length; i++) {
      if (this.strokes[i].key === key) { return i; }
    }
    return -1;
  };

  // A finished stroke (from the server, or our own at pen-up); replaces the live one of that key.
  Whiteboard.prototype.put = function (key, stroke) {
    var index = this._index(key);
    var entry = {key: key, stroke: stroke};
    if (index >= 0) { this.strokes[index] = entry; } else { this.strokes.push(entry); }
    this.redraw();
  };

  // New points of a stroke the other side is drawing right now.
  Whiteboard.prototype.live = function (key, part) {
    var index = this._index(key);
    if (index < 0) {
      this.strokes.push({key: key, live: true, stroke: {
        color: part.color, width: part.width, erase: part.erase, points: part.points.slice()
      }});
      this.redraw();
      return;
    }
    var entry = this.strokes[index];
    if (!entry.live) { return; } // the finished stroke came first
    Array.prototype.push.apply(entry.stroke.points, part.points);
    this.redraw();
  };

  Whiteboard.prototype.remove = function (key) {
    var index = this._index(key);
    if (index >= 0) { this.strokes.splice(index, 1); this.redraw(); }
  };

  Whiteboard.prototype.clear = function () {
    this.strokes = [];
    this.redraw();
  };

  Whiteboard.prototype.has = function (key) {
    return this._index(key) >= 0;
  };

  Whiteboard.prototype._point = function (event) {
    var box = this.canvas.getBoundingClientRect();
    return [round((event.clientX - box.left) / box.width), round((event.clientY - box.top) / box.height)];
  };

  Whiteboard.prototype._flush = function () {
    var stroke = this.current;
    if (!stroke) { return; }
    while (stroke.points.length > this.sentUpTo) {
      var upTo = Math.min(stroke.points.length, this.sentUpTo + MAX_LIVE_POINTS);
      this.onDraw({
        id: stroke.id, color: stroke.color, width: stroke.width, erase: stroke.erase,
        points: stroke.points.slice(this.sentUpTo, upTo)
      });
      this.sentUpTo = upTo;
    }
  };

  Whiteboard.prototype._begin = function (point) {
    this.current = {
      id: newId(), color: this.color, erase: this.erasing,
      width: this.erasing ? ERASER_WIDTH : PEN_WIDTH, points: [point]
    };
    this.sentUpTo = 0;
    var self = this;
    this.flushTimer = window.setInterval(function () { self._flush(); }, FLUSH_MS);
  };

  Whiteboard.prototype._finish = function () {
    var stroke = this.current;
    if (!stroke) { return; }
    this._flush();
    window.clearInterval(this.flushTimer);
    this.current = null;
    this.put(this.keyPrefix + stroke.id, stroke);
    this.onStroke(stroke);
  };

  Whiteboard.prototype._listen = function () {
    var self = this;
    var canvas = this.canvas;
    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== undefined && event.button > 0) { return; }
      event.preventDefault();
      if (canvas.setPointerCapture) {
        try { canvas.setPointerCapture(event.pointerId); } catch (e) { /* synthetic events */ }
      }
      self._begin(self._point(event));
      self.redraw();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!self.current) { return; }
      event.preventDefault();
      var point = self._point(event);
      var last = self.current.points[self.current.points.length - 1];
      if (last[0] === point[0] && last[1] === point[1]) { return; }
      self.current.points.push(point);
      if (self.current.points.length >= MAX_POINTS) {
        self._finish();
        self._begin(point);
      }
      self.redraw();
    });
    var end = function () { self._finish(); };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  };

  window.Whiteboard = Whiteboard;
})();
