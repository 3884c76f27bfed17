// The lookup page's call controls (#12): interpreter, hold, warm and cold transfers, the
// crisis line, for the call on the line (lookup.js's "lookup:call" event). Each posts JSON to
// /api/calls/<caller CallSid>/... and shows the API's answer: its reason on a 4xx, a status
// line on 202; the outcome arrives later as a screen-pop event of type "control".
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const API = "/api/calls/";
  const LABELS = {interpreter: "Interpreter", hold: "Hold", transfer: "Transfer", complete: "Transfer",
    cancel: "Transfer", crisis: "Crisis line"};
  let call = null, onHold = false;

  function status(message, cls) {
    $("ctl-status").className = cls || "";
    $("ctl-status").textContent = message;
  }

  function logEvent(message, cls) {
    const li = document.createElement("li");
    li.textContent = new Date().toLocaleTimeString() + " " + message;
    if (cls) li.className = cls;
    $("ctl-events").prepend(li);
  }

  function setHold(on) {
    onHold = on;
    $("ctl-hold").textContent = on ? "Resume" : "Hold";
    $("ctl-hold").setAttribute("aria-pressed", on ? "true" : "false");
  }

  async function post(path, payload, label, onDone) {
    if (!call) return;
    status(label + ": asking…");
    let resp, body;
    try {
      resp = await fetch(API + encodeURIComponent(call.call_sid) + path, {
        method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify(payload),
      });
      body = await resp.json();
    } catch (e) {
      status(label + " failed: no answer from the server; try again.", "error");
      return;
    }
    if (!resp.ok) { status(label + " refused: " + (body.error || "error " + resp.status), "error"); return; }
    status(label + ": " + (body.message || body.status || "requested") + ".", "ok");
    if (onDone) onDone(body);
  }

  function target() {
    const [kind, value] = $("ctl-target").value.split(/:(.*)/s);
    return kind === "number" ? {target_kind: "number", target: $("ctl-number").value.trim()}
      : {target_kind: kind, target: value};
  }

  function transfer(kind) {
    const label = (kind === "warm" ? "Warm" : "Cold") + " transfer";
    post("/transfer", Object.assign({kind: kind}, target()), label);
  }

  function showCall(ev) {
    call = {call_sid: ev.call_sid};
    $("controls").hidden = false;
    $("controls").dataset.call = ev.call_sid;
    $("ctl-events").replaceChildren();
    status("");
    setHold(false);
    const lang = ev.interpreter && [...$("ctl-language").options].find((o) => o.value === ev.interpreter);
    if (lang) $("ctl-language").value = ev.interpreter;
  }

  function onControl(ev) {
    if (!call || ev.call_sid !== call.call_sid) return;  // about an earlier call
    const label = LABELS[ev.action] || ev.action || "Call control";
    const message = ev.message || (label + " " + ev.result);
    if (ev.action === "hold" && ev.result === "done" && typeof ev.on === "boolean") setHold(ev.on);
    if (ev.action === "hold" && ev.result === "failed") setHold(!onHold);
    const cls = ev.result === "failed" ? "error" : (ev.result === "done" ? "ok" : "");
    status(message, cls);
    logEvent(message, cls);
  }

  function useNumber(ev) {
    $("ctl-target").value = "number:";
    $("ctl-number").value = ev.detail.number;
    status("Transfer target: " + ev.detail.name + ", " + ev.detail.number + ". Choose warm or cold transfer.");
    $("ctl-warm").focus();
  }

  $("ctl-interpreter").addEventListener("click", () => post("/interpreter", {language: $("ctl-language").value},
    "Interpreter (" + $("ctl-language").selectedOptions[0].textContent + ")"));
  $("ctl-hold").addEventListener("click", () => {
    const on = !onHold;
    post("/hold", {on: on}, on ? "Hold" : "Resume", () => setHold(on));
  });
  $("ctl-warm").addEventListener("click", () => transfer("warm"));
  $("ctl-cold").addEventListener("click", () => transfer("cold"));
  $("ctl-complete").addEventListener("click", () => post("/transfer/complete", {}, "Complete transfer"));
  $("ctl-cancel").addEventListener("click", () => post("/transfer/cancel", {}, "Cancel transfer"));
  $("ctl-crisis").addEventListener("click", () => post("/transfer",
    {kind: "warm", target_kind: "crisis", target: ""}, "Crisis line (warm transfer)"));
  $("ctl-number").addEventListener("input", () => { $("ctl-target").value = "number:"; });
  document.addEventListener("lookup:call", (e) => showCall(e.detail));
  document.addEventListener("lookup:control", (e) => onControl(e.detail));
  document.addEventListener("lookup:transfer-target", useNumber);
})();
