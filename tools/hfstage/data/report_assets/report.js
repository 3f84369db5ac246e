/* hfstage report: sort, filter and page the report's tables. The pages are complete without this script
   (every list is also written as static pages); it only makes them quicker to work in. No network, no
   library: it runs from file:// as it is. machines.js (when the page loads it) holds every machine, so the
   machine table sorts and filters all of them, not only the rows the page carries. */
(function () {
  "use strict";
  var PAGE = 500;

  function text(el) { return (el.textContent || "").replace(/\s+/g, " ").trim(); }
  function sortKey(value) {
    var n = Number(value);
    return value !== "" && value !== null && !isNaN(n) ? n : String(value).toLowerCase();
  }
  function compare(a, b) {
    if (typeof a === typeof b) { return a < b ? -1 : a > b ? 1 : 0; }
    return typeof a === "number" ? -1 : 1;
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  /* The machines of machines.js as table items: the same cells the page's own rows have. */
  function machineItems(table, data) {
    var root = table.getAttribute("data-root") || "", only = (table.getAttribute("data-only") || "").split("=");
    var S = data.strings, labels = data.labels, statusClass = { "unreadable": "error", "compliant": "installed",
      "service pack missing": "missing", "needs patches": "missing", "waiting for first collection": "muted" };
    var errors = { "failed": 1, "gave-up": 1, "unreadable": 1, "no-rights": 1 };
    return data.rows.filter(function (r) {
      if (only[0] === "status") { return S[r[2]] === only[1]; }
      if (only[0] === "need") { return r[9].some(function (k) { return S[k] === only[1]; }); }
      return true;
    }).map(function (r) {
      var status = S[r[2]], needs = r[9].map(function (k) { return S[k]; });
      var badges = needs.map(function (k) {
        return "<span class=\"badge " + (errors[k] ? "error" : "warning") + "\">" + escapeHtml(labels[k]) + "</span>";
      }).join("");
      var html = "<tr><td><a href=\"" + root + "machines/" + escapeHtml(r[0]) + ".html\">" + escapeHtml(r[0]) +
        "</a></td><td>" + badges + "</td><td class=\"" + (statusClass[status] || "warning") + "\">" +
        escapeHtml(status) + (S[r[3]] ? "<div class=\"reason\">" + escapeHtml(S[r[3]]) + "</div>" : "") +
        "</td><td class=\"num" + (r[4] ? " missing" : "") + "\">" + r[4] + "</td><td class=\"num" +
        (r[5] ? " missing" : "") + "\">" + r[5] + "</td><td>" + escapeHtml(S[r[1]]) + "</td><td class=\"nowrap\">" +
        (r[6] || "never") + (r[7] ? " <span class=\"badge warning\">stale</span>" : "") +
        "</td><td class=\"reason\">" + escapeHtml(S[r[8]]) + "</td></tr>";
      var words = [r[0], needs.map(function (k) { return labels[k]; }).join(" "), status, S[r[3]], S[r[1]], r[6],
        r[7] ? "stale" : "", S[r[8]]].join(" ").toLowerCase();
      return { keys: [r[0].toLowerCase(), r[10], data.statuses.indexOf(status), r[4], r[5], S[r[1]].toLowerCase(),
        r[6], S[r[8]].toLowerCase()], text: words, html: html };
    });
  }

  function domItems(tbody) {
    return Array.prototype.map.call(tbody.rows, function (tr) {
      var keys = Array.prototype.map.call(tr.cells, function (td) {
        var v = td.getAttribute("data-sort");
        return sortKey(v === null ? text(td) : v);
      });
      return { keys: keys, text: text(tr).toLowerCase(), row: tr };
    });
  }

  function enhance(table) {
    var tbody = table.tBodies[0], head = table.tHead;
    if (!tbody || !head) { return; }
    var data = table.getAttribute("data-source") === "machines" ? window.HFSTAGE_MACHINES : null;
    var items = data ? machineItems(table, data) : domItems(tbody);
    var state = { shown: items, page: 0, column: -1, descending: false };
    var tools = null, input = null, count = null, prev = null, next = null;

    if (table.classList.contains("filterable")) {
      tools = document.createElement("div");
      tools.className = "tools";
      input = document.createElement("input");
      input.type = "search";
      input.placeholder = table.getAttribute("data-hint") || "Filter the rows";
      input.setAttribute("aria-label", "Filter the table");
      count = document.createElement("span");
      count.className = "count";
      tools.appendChild(input);
      tools.appendChild(count);
      if (data) {
        prev = document.createElement("button"); prev.type = "button"; prev.textContent = "Previous";
        next = document.createElement("button"); next.type = "button"; next.textContent = "Next";
        tools.appendChild(prev); tools.appendChild(next);
        prev.addEventListener("click", function () { state.page -= 1; render(); });
        next.addEventListener("click", function () { state.page += 1; render(); });
      }
      table.parentNode.insertBefore(tools, table);
      input.addEventListener("input", function () { filter(input.value); });
    }

    function filter(query) {
      var words = query.toLowerCase().split(/\s+/).filter(Boolean);
      state.shown = items.filter(function (item) {
        return words.every(function (w) { return item.text.indexOf(w) >= 0; });
      });
      state.page = 0;
      render();
    }

    function render() {
      var pages = Math.max(1, Math.ceil(state.shown.length / PAGE));
      state.page = Math.min(Math.max(state.page, 0), pages - 1);
      if (data) {
        var slice = state.shown.slice(state.page * PAGE, (state.page + 1) * PAGE);
        tbody.innerHTML = slice.map(function (item) { return item.html; }).join("") ||
          "<tr><td colspan=\"8\">none</td></tr>";
      } else {
        var visible = new Set(state.shown);
        items.forEach(function (item) { item.row.hidden = !visible.has(item); });
        state.shown.forEach(function (item) { tbody.appendChild(item.row); });
      }
      if (count) {
        var what = state.shown.length === items.length ? items.length + " rows" :
          state.shown.length + " of " + items.length + " rows match";
        if (pages > 1) {
          what += "; showing " + (state.page * PAGE + 1) + "-" +
            Math.min(state.shown.length, (state.page + 1) * PAGE) + " (page " + (state.page + 1) + " of " + pages + ")";
        }
        count.textContent = what;
      }
      if (prev) {
        prev.disabled = state.page === 0;
        next.disabled = state.page >= pages - 1;
        prev.hidden = next.hidden = pages < 2;
      }
    }

    function sortBy(column) {
      state.descending = state.column === column ? !state.descending : false;
      state.column = column;
      var sign = state.descending ? -1 : 1;
      var order = function (a, b) { return sign * compare(a.keys[column], b.keys[column]); };
      items.sort(order);
      state.shown.sort(order);
      Array.prototype.forEach.call(head.rows[0].cells, function (th, i) {
        if (i === column) { th.setAttribute("aria-sort", state.descending ? "descending" : "ascending"); }
        else { th.removeAttribute("aria-sort"); }
      });
      state.page = 0;
      render();
    }

    Array.prototype.forEach.call(head.rows[0].cells, function (th, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.title = "Sort by " + text(th);
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(i); });
    });
    table.setAttribute("data-enhanced", "yes");
    render();
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable, table.filterable"), enhance);
}());
