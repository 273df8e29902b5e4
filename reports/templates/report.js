(function () {
  "use strict";
  // Filtering and sorting of the findings table. Reads text from the DOM
  // (textContent / dataset), writes only the hidden flag, the row order and
  // a count: nothing from the results is ever parsed as HTML.
  var table = document.getElementById("findings-table");
  if (table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var filter = document.getElementById("filter");
    var severity = document.getElementById("severity");
    var shown = document.getElementById("shown");
    var none = document.getElementById("no-match");
    // what the filter searches: the visible columns and the property path, not the rule docs
    var texts = rows.map(function (r) {
      return [r.dataset.severity, r.cells[1].textContent, r.cells[2].textContent, r.cells[3].textContent,
        r.dataset.message, r.dataset.path].join(" ").toLowerCase();
    });

    var apply = function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      var sev = severity.value;
      var n = 0;
      rows.forEach(function (r, i) {
        var ok = (!sev || r.dataset.severity === sev) &&
          words.every(function (w) { return texts[i].indexOf(w) !== -1; });
        r.hidden = !ok;
        if (ok) { n += 1; }
      });
      shown.textContent = n + " of " + rows.length + " shown";
      none.hidden = n !== 0;
    };
    filter.addEventListener("input", apply);
    severity.addEventListener("change", apply);

    var buttons = table.querySelectorAll("th button[data-sort]");
    Array.prototype.forEach.call(buttons, function (b) {
      b.addEventListener("click", function () {
        var key = b.dataset.sort;
        var num = b.dataset.type === "num";
        var dir = b.dataset.dir === "asc" ? "desc" : "asc";
        Array.prototype.forEach.call(buttons, function (o) { delete o.dataset.dir; });
        b.dataset.dir = dir;
        var sign = dir === "asc" ? 1 : -1;
        var sorted = rows.slice().sort(function (x, y) {
          var a = x.dataset[key] || "", c = y.dataset[key] || "";
          var d = num ? Number(a) - Number(c) : a.localeCompare(c, undefined, { numeric: true });
          return d !== 0 ? sign * d : Number(x.dataset.n) - Number(y.dataset.n);
        });
        sorted.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  // Printing shows every detail.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
}());
