// Case desk: insert a response template into the draft without losing what is typed.
// Without JavaScript the template links reload the desk with the template filled in.
(function () {
  "use strict";
  document.querySelectorAll("a[data-template-text]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var box = document.getElementById("id_submit_response-text");
      if (!box) return;
      event.preventDefault();
      var text = link.dataset.templateText;
      var start = box.selectionStart, end = box.selectionEnd;
      if (box.value.trim() === "") {
        box.value = text;
      } else {
        box.value = box.value.slice(0, start) + text + box.value.slice(end);
      }
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.focus();
    });
  });
})();
