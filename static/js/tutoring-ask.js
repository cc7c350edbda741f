// The question form's photos: each pick adds to the list (a phone's camera gives one photo a
// pick), up to the limit, with a preview and a remove button for each. The browser sends what
// the file input holds, so the list is written back into it (DataTransfer). Without
// DataTransfer (old browsers) the input works as a plain multiple file input.
(function () {
  "use strict";

  var input = document.querySelector("input[type=file][data-max-photos]");
  var box = document.getElementById("photo-picks");
  if (!input || !box || typeof DataTransfer !== "function") { return; }
  try { new DataTransfer(); } catch (e) { return; }

  var max = parseInt(input.getAttribute("data-max-photos"), 10) || 3;
  var list = box.querySelector("ul");
  var status = box.querySelector("[role=status]");
  var chosen = [];
  var urls = [];

  function same(a, b) {
    return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
  }

  function writeBack() {
    var transfer = new DataTransfer();
    chosen.forEach(function (file) { transfer.items.add(file); });
    input.files = transfer.files;
  }

  function render() {
    urls.forEach(function (url) { URL.revokeObjectURL(url); });
    urls = [];
    list.textContent = "";
    chosen.forEach(function (file, index) {
      var item = document.createElement("li");
      var picture = document.createElement("img");
      var url = URL.createObjectURL(file);
      urls.push(url);
      picture.src = url;
      picture.alt = "";
      var name = document.createElement("span");
      name.textContent = file.name;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button secondary";
      remove.textContent = box.getAttribute("data-remove");
      remove.setAttribute("aria-label", box.getAttribute("data-remove-one") + " " + file.name);
      remove.addEventListener("click", function () {
        chosen.splice(index, 1);
        status.textContent = "";
        writeBack();
        render();
        input.focus();
      });
      item.appendChild(picture);
      item.appendChild(name);
      item.appendChild(remove);
      list.appendChild(item);
    });
    box.hidden = chosen.length === 0 && !status.textContent;
  }

  input.addEventListener("change", function () {
    var added = Array.prototype.slice.call(input.files || []);
    var left = 0;
    added.forEach(function (file) {
      if (chosen.some(function (other) { return same(file, other); })) { return; }
      if (chosen.length < max) { chosen.push(file); } else { left += 1; }
    });
    status.textContent = left ? box.getAttribute("data-too-many") : "";
    writeBack();
    render();
  });
})();
