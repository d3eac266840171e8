// A "Print" button where the page offers one ([data-print]): the browser's own print, which the
// page's print style turns into the report (forms and links to other formats left out).
(function () {
  "use strict";
  // Office pages have no other script that says JavaScript runs: without it .js-only stays hidden.
  document.documentElement.classList.add("js");
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
