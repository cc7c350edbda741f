// Forms marked data-upload-progress upload with a progress bar (.upload-progress inside the
// form: a <progress> and a role=status line). Without JavaScript, with nothing chosen, or if
// the request fails, the form posts normally.
(function () {
  if (!window.XMLHttpRequest || !window.FormData) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-upload-progress]"), function (form) {
    form.addEventListener("submit", function (event) {
      var chosen = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
        return input.files && input.files.length;
      });
      if (!chosen) { return; }
      event.preventDefault();
      var box = form.querySelector(".upload-progress");
      var bar = box.querySelector("progress");
      var status = box.querySelector("[role=status]");
      box.hidden = false;
      form.querySelector("button[type=submit]").disabled = true;
      var target = (form.action || window.location.href).split("#")[0];
      var xhr = new XMLHttpRequest();
      xhr.open("POST", target);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.round(100 * e.loaded / e.total);
          bar.value = percent;
          bar.textContent = percent + "%";
        }
      });
      xhr.upload.addEventListener("load", function () {
        bar.value = 100;
        status.textContent = form.getAttribute("data-upload-progress");
      });
      xhr.addEventListener("load", function () {
        // The request followed any redirect already, and the page it got carries the
        // one-time "saved" message: show that page rather than loading it again.
        var landed = xhr.responseURL && xhr.responseURL.split("#")[0] !== target ? xhr.responseURL : null;
        document.open();
        document.write(xhr.responseText);
        document.close();
        if (landed) { window.history.replaceState(null, "", landed); }
      });
      xhr.addEventListener("error", function () { form.submit(); });
      xhr.send(new FormData(form));
    });
  });
})();
