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

// "Select all on this page": shown only with JavaScript; ticks or clears every case checkbox.
(function () {
  "use strict";
  var all = document.querySelector("[data-select-all]");
  if (!all) { return; }
  var boxes = document.querySelectorAll("input[name=cases]");
  all.hidden = false;
  all.addEventListener("change", function () {
    Array.prototype.forEach.call(boxes, function (box) { box.checked = all.checked; });
  });
})();
