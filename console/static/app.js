// Vedette console: new alerts appear on the queue without reloading.
// Server-sent events from /api/v1/alerts/stream (same origin, the session
// cookie authenticates; the server limits them to the user's
// organizations). Rows are built with DOM calls and textContent only:
// alert text is attacker-controlled and never parsed as HTML.
"use strict";
(function () {
  const table = document.getElementById("alerts");
  if (!table || !table.dataset.stream || !window.EventSource) {
    return;
  }
  const rows = document.getElementById("alert-rows");
  const total = document.getElementById("alert-total");
  const empty = document.getElementById("alerts-empty");
  const selectLabel = table.dataset.select;
  const seen = new Set();
  for (const box of rows.querySelectorAll("input[name=id]")) {
    seen.add(box.value);
  }
  function cell(tr, text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    if (text !== undefined) td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function add(a) {
    const id = String(a.id);
    if (seen.has(id)) return;
    seen.add(id);
    const tr = document.createElement("tr");
    tr.className = "fresh";
    tr.dataset.id = id;
    if (selectLabel !== undefined) {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "id";
      box.value = id;
      box.id = "pick-" + id;
      box.setAttribute("aria-label", selectLabel + " " + id);
      cell(tr).appendChild(box);
    }
    cell(tr, a.time, "time");
    const sev = document.createElement("span");
    const level = String(a.severity).replace(/[^a-z]/g, "");
    sev.className = "sev sev-" + level;
    sev.textContent = a.severity;
    cell(tr).appendChild(sev);
    const link = document.createElement("a");
    link.href = "/alerts/" + encodeURIComponent(id);
    link.textContent = a.title;
    cell(tr).appendChild(link);
    cell(tr, a.host);
    cell(tr, a.status, "status");
    rows.insertBefore(tr, rows.firstChild);
    if (total) total.textContent = String(Number(total.textContent) + 1);
    if (empty) empty.hidden = true;
  }
  const source = new EventSource(table.dataset.stream);
  source.addEventListener("alert", function (e) {
    try {
      add(JSON.parse(e.data));
    } catch (err) {
      // A malformed event is dropped; the next reload shows the truth.
    }
  });
})();
