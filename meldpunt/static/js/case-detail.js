// Suggestions for the "duplicate of" case number (status form on the case page). Loaded from
// a file: the Content-Security-Policy allows no inline scripts.
(function () {
  var input = document.querySelector("input[data-autocomplete-url]");
  if (!input) { return; }
  var list = document.getElementById(input.getAttribute("list"));
  var timer = null;
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    var query = input.value.trim();
    if (!query) { list.replaceChildren(); return; }
    timer = window.setTimeout(function () {
      fetch(input.dataset.autocompleteUrl + "?q=" + encodeURIComponent(query),
            {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (cases) {
          list.replaceChildren.apply(list, cases.map(function (found) {
            var option = document.createElement("option");
            option.value = found.case_number;
            return option;
          }));
        });
    }, 200);
  });
})();
