// The case list's filters fold away on a phone unless a filter is in use. Without JavaScript
// they stay open (the <details> element is rendered open).
(function () {
  "use strict";
  var filters = document.querySelector("details[data-fold-on-small]");
  if (!filters || !window.matchMedia("(max-width: 767.98px)").matches) { return; }
  var inUse = Array.prototype.some.call(
    filters.querySelectorAll("input:not([type=hidden]), select"),
    function (field) {
      if (field.type === "checkbox") { return field.checked; }  // "also closed cases"
      return field.value && field.value !== "unknown";
    });
  if (!inUse) { filters.open = false; }
})();
