// The supervisor board: polls /api/supervisor/board, crisis calls first (the API sorts them),
// and per live call Listen / Whisper / Barge, which ask Twilio to ring the supervisor's phone.
(function () {
  "use strict";
  const cfg = window.BOARD;
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const MODES = [["listen", "Listen"], ["whisper", "Whisper"], ["barge", "Barge"]];

  function cell(value, cls) {
    const td = document.createElement("td");
    td.textContent = value == null || value === "" ? "—" : String(value);
    if (cls) td.className = cls;
    return td;
  }

  function duration(s) { return Math.floor((s || 0) / 60) + " min " + ((s || 0) % 60) + " s"; }
  function language(row) { return row.interpreter ? row.language + " (interpreter " + row.interpreter + ")" : row.language; }

  function badge(textValue, cls) {
    const b = document.createElement("span");
    b.className = "badge " + cls;
    b.textContent = textValue;
    return b;
  }

  function stateCell(row) {
    const td = document.createElement("td");
    if (row.crisis) td.appendChild(badge("CRISIS", "crisis"));
    if (row.on_hold) td.appendChild(badge("on hold", "hold"));
    for (const lang of row.interpreters || []) td.appendChild(badge("interpreter " + lang, "hold"));
    if (row.transfer) td.appendChild(badge("transfer " + (row.transfer.kind || "") + " " + (row.transfer.state || ""), "hold"));
    return td;
  }

  function actions(row) {
    const td = document.createElement("td");
    td.className = "actions";
    for (const [mode, label] of MODES) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.dataset.mode = mode;
      b.dataset.call = row.call_sid;
      b.addEventListener("click", () => supervise(row.call_sid, mode, label));
      td.appendChild(b);
    }
    return td;
  }

  function liveRow(row) {
    const tr = document.createElement("tr");
    tr.dataset.call = row.call_sid;
    if (row.crisis) tr.className = "crisis";
    tr.append(cell(row.call_sid), cell(row.provider), cell(row.specialist_name || row.specialist_id),
      cell(duration(row.talk_seconds)), cell(language(row)), cell(row.need), cell(row.region),
      stateCell(row), actions(row));
    return tr;
  }

  function waitingRow(row) {
    const tr = document.createElement("tr");
    tr.dataset.call = row.call_sid;
    if (row.crisis) tr.className = "crisis";
    tr.append(cell(row.call_sid), cell(row.provider), cell(duration(row.waited_seconds)),
      cell(language(row)), cell(row.need), cell(row.region));
    return tr;
  }

  function queueRow(q) {
    const tr = document.createElement("tr");
    tr.append(cell(q.name), cell(q.waiting), cell(q.longest_wait + " s"), cell(q.specialists), cell(q.callbacks));
    return tr;
  }

  function fill(id, rows, make, empty, cols) {
    const body = $(id);
    body.replaceChildren(...rows.map(make));
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = cell(empty, "muted");
      td.colSpan = cols;
      tr.appendChild(td);
      body.appendChild(tr);
    }
  }

  function render(board) {
    const down = board.degraded || [];
    $("board-error").hidden = !down.length;
    $("board-error").textContent = down.length ? "Cannot read " + down.join(" and ") + " just now: the board may be incomplete." : "";
    $("board-at").textContent = "As of " + new Date(board.at).toLocaleTimeString() + ".";
    fill("live", board.live, liveRow, "No calls being answered.", 9);
    fill("waiting", board.waiting, waitingRow, "Nobody waiting.", 6);
    fill("queues", board.queues, queueRow, "Unknown just now.", 5);
  }

  async function refresh() {
    try {
      const resp = await fetch(cfg.api, {headers: {Accept: "application/json"}});
      const body = await resp.json();
      if (resp.ok) render(body);
      else { $("board-error").hidden = false; $("board-error").textContent = body.error || "The board cannot be read."; }
    } catch (e) { /* the next refresh retries */ }
    setTimeout(refresh, cfg.refresh);
  }

  async function supervise(sid, mode, label) {
    const status = $("supervise-status");
    const phone = $("phone").value.trim();
    localStorage.setItem("board-phone", phone);
    status.className = "";
    status.textContent = label + " on " + sid + ": asking…";
    let resp, body;
    try {
      resp = await fetch(cfg.calls + encodeURIComponent(sid) + "/supervise", {
        method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({mode: mode, phone: phone}),
      });
      body = await resp.json();
    } catch (e) {
      status.className = "error";
      status.textContent = label + " on " + sid + " failed: no answer from the server.";
      return;
    }
    if (!resp.ok) {
      status.className = "error";
      status.textContent = label + " on " + sid + " refused: " + (body.error || resp.status);
      return;
    }
    status.className = "ok";
    status.textContent = label + " on " + sid + ": " + (body.message || body.status || "requested") + (phone ? ", ringing " + phone : "") + ".";
  }

  $("phone").value = localStorage.getItem("board-phone") || "";
  refresh();
})();
