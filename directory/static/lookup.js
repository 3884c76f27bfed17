// The specialist's lookup tool: search as you type, keyboard navigation, screen pop, referrals,
// and "Not what I needed" (counts the query and the service for the admins, nothing about the call).
// The call controls (call_controls.js) hear of the call and its control events from here.
(function () {
  "use strict";
  const cfg = window.LOOKUP;
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const regionNames = Object.fromEntries(cfg.regions);
  let results = [], selected = -1, current = null, call = null, seen = cfg.seen, timer = null, seq = 0, searched = "";

  function text(tag, value, cls) {
    const el = document.createElement(tag);
    el.textContent = value == null ? "" : String(value);
    if (cls) el.className = cls;
    return el;
  }

  function params() {
    const p = new URLSearchParams({q: $("q").value, limit: "25"});
    for (const id of ["region", "language", "taxonomy"]) if ($(id).value.trim()) p.set(id, $(id).value.trim());
    if ($("open_now").checked) p.set("open_now", "1");
    if ($("accessible").checked) p.set("accessible", "1");
    return p;
  }

  async function search() {
    const mine = ++seq;
    const query = $("q").value;
    const resp = await fetch(cfg.api + "/search?" + params(), {headers: {Accept: "application/json"}});
    const body = await resp.json();
    if (mine !== seq) return;  // a newer search has started
    if (!resp.ok) { $("summary").textContent = body.error || "Search failed"; return; }
    results = body.results;
    searched = query;
    $("summary").textContent = body.total + " services" + (body.total > results.length ? ", best " + results.length + " shown" : "");
    renderResults();
  }

  function renderResults() {
    const list = $("results");
    list.replaceChildren();
    results.forEach((r, i) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.index = i;
      li.dataset.id = r.id;
      li.appendChild(text("strong", r.name));
      if (r.organization && r.organization !== r.name) li.appendChild(text("div", r.organization, "small"));
      // Where it is: twelve services can share a name ("Food Pantry"), their places differ.
      const place = r.address || r.city;
      if (place) li.appendChild(text("div", place, "small place"));
      if (r.phones.length) li.appendChild(text("div", r.phones.join(" · "), "small"));
      if (r.why.length) li.appendChild(text("div", r.why.join("; "), "why"));
      li.addEventListener("click", () => { select(i); open(i); });
      list.appendChild(li);
    });
    selected = results.length ? 0 : -1;
    markSelected();
  }

  function select(i) { selected = Math.max(0, Math.min(results.length - 1, i)); markSelected(); }
  function markSelected() {
    [...$("results").children].forEach((li, i) => li.setAttribute("aria-selected", i === selected ? "true" : "false"));
    const li = $("results").children[selected];
    if (li) li.scrollIntoView({block: "nearest"});
  }

  async function open(i) {
    const r = results[i];
    if (!r) return;
    const resp = await fetch(cfg.api + "/services/" + encodeURIComponent(r.id) + "?source=" + encodeURIComponent(r.source));
    const s = await resp.json();
    if (!resp.ok) { $("detail").replaceChildren(text("p", s.error, "error")); return; }
    current = s;
    renderDetail(s);
  }

  function fact(dl, label, value) {
    if (value == null || value === "" || (Array.isArray(value) && !value.length)) return;
    dl.appendChild(text("dt", label));
    const dd = document.createElement("dd");
    (Array.isArray(value) ? value : [value]).forEach((v) => dd.appendChild(text("div", v)));
    dl.appendChild(dd);
  }

  function renderDetail(s) {
    const box = $("detail");
    box.replaceChildren(text("h2", s.name));
    if (s.organization && s.organization.name !== s.name) box.appendChild(text("div", s.organization.name, "muted"));
    const refer = text("button", call ? "Refer caller to this service (r)" : "Refer (no call on the line)");
    refer.id = "refer";
    refer.disabled = !call;
    refer.addEventListener("click", referCurrent);
    box.appendChild(refer);
    if (searched.trim()) {
      const wrong = text("button", "Not what I needed");
      wrong.id = "not-needed";
      wrong.title = "Tell the admins this result did not fit the search (only the search words are kept)";
      wrong.addEventListener("click", () => markWrong(s, searched));
      box.appendChild(wrong);
    }
    const dl = document.createElement("dl");
    dl.className = "facts";
    fact(dl, "Phones", s.phones.map((p) => p.number + (p.extension ? " ext. " + p.extension : "") + (p.description ? " (" + p.description + ")" : "")));
    if (call && s.phones.length) box.appendChild(transferButtons(s));
    fact(dl, "Hours", s.hours.filter((h) => h.opens_at).map((h) => h.weekday + " " + h.opens_at + "-" + h.closes_at).concat(s.hours_text ? [s.hours_text] : []));
    fact(dl, "Holiday hours", (s.holiday_hours || []).map((h) => (h.from === h.to ? h.from : h.from + " to " + h.to) + ": " + (h.closed ? "closed" : h.opens_at + "-" + h.closes_at)));
    fact(dl, "Address", s.locations.flatMap((l) => l.addresses.map((a) => a.text)));
    fact(dl, "Eligibility", s.eligibility);
    fact(dl, "Languages", s.languages);
    fact(dl, "Fees", s.fees);
    fact(dl, "How to apply", s.application_process);
    fact(dl, "Documents", s.required_documents);
    fact(dl, "Accessibility", s.locations.flatMap((l) => l.accessibility));
    fact(dl, "Areas served", s.service_areas);
    fact(dl, "Website", s.url || (s.organization && s.organization.url));
    fact(dl, "Taxonomy", s.taxonomy.map((t) => t.code + " " + t.name));
    box.appendChild(dl);
    if (s.description) box.appendChild(text("p", s.description));
  }

  // A directory phone ("416-555-0123", "1 (800) 555-0199") as the E.164 number the call
  // controls dial; anything else is passed as written, and the API says why it cannot dial it.
  function e164(number) {
    const digits = number.replace(/\D/g, "");
    if (number.trim().startsWith("+")) return "+" + digits;
    if (digits.length === 10) return "+1" + digits;
    if (digits.length === 11 && digits[0] === "1") return "+" + digits;
    return number.trim();
  }

  // A service's phone as the call controls' transfer target (call_controls.js).
  function transferButtons(s) {
    const div = document.createElement("div");
    div.className = "transfer-phones";
    for (const p of s.phones) {
      const b = text("button", "Transfer to " + p.number);
      b.type = "button";
      b.className = "transfer-phone";
      b.addEventListener("click", () => document.dispatchEvent(new CustomEvent("lookup:transfer-target",
        {detail: {number: e164(p.number), name: s.name}})));
      div.appendChild(b);
    }
    return div;
  }

  async function referCurrent() {
    if (!call || !current) return;
    const resp = await fetch(cfg.api + "/referrals", {
      method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({call_sid: call.call_sid, service_id: current.id, source: current.source}),
    });
    const body = await resp.json();
    if (!resp.ok) { $("detail").prepend(text("p", body.error || "Referral failed", "error")); return; }
    call.referred.push(body.service_name);
    $("referrals").textContent = call.referred.join("; ");
    const button = $("refer");
    if (button) { button.textContent = "Referred ✓"; button.disabled = true; }
    document.dispatchEvent(new CustomEvent("lookup:referral", {detail: body}));
  }

  async function markWrong(s, query) {
    const resp = await fetch(cfg.api + "/search-feedback", {
      method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({query: query, service_id: s.id, source: s.source}),
    });
    const body = await resp.json();
    const button = $("not-needed");
    if (!resp.ok) { $("detail").prepend(text("p", body.error || "Feedback not sent", "error")); return; }
    if (button) { button.textContent = "Noted, thank you"; button.disabled = true; }
  }

  function showCall(ev) {
    call = {call_sid: ev.call_sid, referred: []};
    $("call").hidden = false;
    $("call-sid").textContent = ev.call_sid;
    $("call-language").textContent = ev.language === "fr" ? "French" : (ev.language === "en" ? "English" : ev.language);
    $("call-interpreter").textContent = ev.interpreter_name || ev.interpreter || "none";
    $("call-region").textContent = regionNames[ev.region] || ev.region || "unknown";
    $("call-need").textContent = ev.need || (ev.interpreter ? "not asked (interpreter call)" : "not said");
    const w = ev.waited_seconds || 0;
    $("call-waited").textContent = Math.floor(w / 60) + " min " + (w % 60) + " s";
    $("referrals").textContent = "none yet";
    $("q").value = "";
    $("region").value = ev.region && regionNames[ev.region] ? ev.region : "";
    $("taxonomy").value = (ev.taxonomy || []).join(",");
    if (ev.interpreter) $("language").value = "";
    search();
    $("q").focus();
    document.dispatchEvent(new CustomEvent("lookup:call", {detail: ev}));
  }

  async function poll() {
    try {
      const resp = await fetch(cfg.api + "/screen-pop?seen=" + seen, {headers: {Accept: "application/json"}});
      if (resp.ok) {
        const body = await resp.json();
        seen = body.seen;
        const calls = body.events.filter((e) => e.type === "call");
        if (calls.length) showCall(calls[calls.length - 1]);
        // After the call they follow: the call controls' answers (call_controls.js).
        for (const e of body.events) if (e.type === "control") document.dispatchEvent(new CustomEvent("lookup:control", {detail: e}));
      }
    } catch (e) { /* the next poll retries */ }
    setTimeout(poll, 500);
  }

  function onKey(e) {
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (e.key === "Escape" && typing) { document.activeElement.blur(); return; }
    if (document.activeElement.closest("#contact, #controls")) return;  // their own fields and buttons
    if (e.key === "/" && !typing) { e.preventDefault(); $("q").focus(); $("q").select(); return; }
    if (e.key === "ArrowDown") { e.preventDefault(); select(selected + 1); return; }
    if (e.key === "ArrowUp") { e.preventDefault(); select(selected - 1); return; }
    if (e.key === "Enter" && selected >= 0 && (document.activeElement === $("q") || !typing)) { e.preventDefault(); open(selected); return; }
    if (e.key === "r" && !typing && current) { e.preventDefault(); referCurrent(); }
  }

  function debounced() { clearTimeout(timer); timer = setTimeout(search, 120); }
  $("q").addEventListener("input", debounced);
  for (const id of ["region", "language", "open_now", "accessible"]) $(id).addEventListener("change", search);
  $("taxonomy").addEventListener("input", debounced);
  document.addEventListener("keydown", onKey);
  if (cfg.linked) poll();
  search();
})();
