// HLS plays natively in Safari, iOS and WeChat's browser; elsewhere hls.js (served by
// eSchool from the npm package) feeds the same playlist to the <video> through MSE.
(function () {
  Array.prototype.forEach.call(document.querySelectorAll("video[data-hls]"), function (video) {
    var source = video.getAttribute("data-hls");
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = source;
    } else if (window.Hls && window.Hls.isSupported()) {
      var player = new window.Hls();
      player.loadSource(source);
      player.attachMedia(video);
    } else {
      video.src = source;
    }
  });
})();
