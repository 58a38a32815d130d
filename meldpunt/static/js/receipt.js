// Copy and print buttons (receipt page, case page): shown only when the browser can do it
// (progressive enhancement; without JavaScript the page works as before).
(function () {
  "use strict";
  var code = document.querySelector("[data-testid=receipt-code]");
  var copy = document.querySelector("[data-copy-receipt]");
  var status = document.querySelector("[data-copy-status]");
  if (code && copy && navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent.trim()).then(function () {
        if (status) { status.textContent = copy.getAttribute("data-copied"); }
      });
    });
  }
  var print = document.querySelector("[data-print-page]");
  if (print && typeof window.print === "function") {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
