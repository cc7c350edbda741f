// Forms marked data-confirm="<question>" ask before they are sent (cancelling a booking gives
// the seat away at once). The browser's own dialog, which keyboards and screen readers know;
// without JavaScript the form is sent as before. Capture phase: a "no" stops the other
// submit handlers too.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
