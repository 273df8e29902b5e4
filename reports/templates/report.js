(function () {
  "use strict";
  // Filtering, sorting and paging of the findings table. Reads text from the
  // DOM (textContent / dataset) and writes only the hidden flag, the row order
  // and a count: nothing from the results is ever parsed as HTML.
  var PAGE = 500; // rows shown at once until "Show all": big audits stay quick to open
  var table = document.getElementById("findings-table");
  if (table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var filter = document.getElementById("filter");
    var severity = document.getElementById("severity");
    var shown = document.getElementById("shown");
    var none = document.getElementById("no-match");
    var more = document.getElementById("show-all");
    var showAll = false;
    var text = function (r, sel) { var e = r.querySelector(sel); return e ? e.textContent : ""; };
    rows.forEach(function (r) {
      var k = { rank: Number(r.dataset.rank), n: Number(r.dataset.n), rule: text(r, "a.rule"),
        resource: text(r, ".res"), where: r.cells[3].textContent, message: text(r, ".msg") };
      r.sortKey = k;
      // what the filter searches: the visible columns and the property path, not the rule docs
      r.searchText = [r.dataset.severity, r.cells[1].textContent, r.cells[2].textContent, k.where, k.message,
        r.dataset.path].join(" ").toLowerCase();
    });

    var apply = function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      var sev = severity.value;
      var limit = showAll ? rows.length : PAGE;
      var matched = 0, visible = 0;
      rows.forEach(function (r) {
        var ok = (!sev || r.dataset.severity === sev) &&
          words.every(function (w) { return r.searchText.indexOf(w) !== -1; });
        if (ok) { matched += 1; }
        r.hidden = !(ok && matched <= limit);
        if (!r.hidden) { visible += 1; }
      });
      shown.textContent = visible + " of " + rows.length + " shown" +
        (matched > visible ? " (" + matched + " match)" : "");
      more.hidden = matched <= visible;
      none.hidden = matched !== 0;
    };
    filter.addEventListener("input", apply);
    severity.addEventListener("change", apply);
    more.addEventListener("click", function () { showAll = true; apply(); });

    var buttons = table.querySelectorAll("th button[data-sort]");
    Array.prototype.forEach.call(buttons, function (b) {
      b.addEventListener("click", function () {
        var key = b.dataset.sort;
        var num = b.dataset.type === "num";
        var dir = b.dataset.dir === "asc" ? "desc" : "asc";
        Array.prototype.forEach.call(buttons, function (o) { delete o.dataset.dir; });
        b.dataset.dir = dir;
        var sign = dir === "asc" ? 1 : -1;
        rows.sort(function (x, y) {
          var a = x.sortKey[key], c = y.sortKey[key];
          var d = num ? a - c : a.localeCompare(c, undefined, { numeric: true });
          return d !== 0 ? sign * d : x.sortKey.n - y.sortKey.n;
        });
        var frag = document.createDocumentFragment();
        rows.forEach(function (r) { frag.appendChild(r); });
        body.appendChild(frag);
        apply();
      });
    });
    if (rows.length > PAGE) { apply(); }
  }

  // A finding's details get its rule's policy, why and fix (kept once per rule in a
  // <template>) when first opened: a copy of nodes, never HTML parsing.
  var fill = function (d) {
    var slot = d.querySelector(".ruledoc");
    if (!slot || slot.firstChild) { return; }
    var t = document.getElementById("doc-" + slot.dataset.rule);
    if (t) { slot.appendChild(t.content.cloneNode(true)); }
  };
  Array.prototype.forEach.call(document.querySelectorAll("details.detail"), function (d) {
    d.addEventListener("toggle", function () { if (d.open) { fill(d); } });
  });

  // Copy a fix snippet (a file:// page may have no clipboard API: then select it for Ctrl+C).
  Array.prototype.forEach.call(document.querySelectorAll(".fix button.copy"), function (b) {
    b.addEventListener("click", function () {
      var pre = b.closest(".fix").querySelector("pre.snippet");
      var done = function () { b.textContent = "Copied"; };
      var select = function () {
        var range = document.createRange();
        range.selectNodeContents(pre);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        b.textContent = "Selected: press Ctrl+C";
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(pre.textContent).then(done, select);
      } else {
        select();
      }
    });
  });

  // Printing shows every finding with every detail.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details.detail"), fill);
    opened = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
}());
