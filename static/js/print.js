/* The "Print" button of the progress report: <button data-action="print" hidden>. Without JavaScript it stays
 * hidden and the page tells the reader to use the browser's own Print command (no inline handler: the CSP
 * forbids them). */
(function () {
  "use strict";

  function init() {
    var buttons = document.querySelectorAll("[data-action='print']");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
