// The contact record on the lookup page: needs coded with the taxonomy (type-ahead), met by
// referrals or unmet with a reason, FSA, age group, call type, follow-up; saved as a draft or
// completed. A rejected save keeps everything typed and shows each error by its field.
(function () {
  "use strict";
  const cfg = window.CONTACT;
  const box = document.getElementById("contact");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let rec = null, callSid = null, errors = {}, suggestTimer = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v == null) continue;
      if (k === "text") node.textContent = v; else node.setAttribute(k, v === true ? "" : v);
    }
    children.flat().forEach((c) => c && node.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
    return node;
  }
  const errorFor = (path) => el("span", {class: "field-error error", "data-for": path, text: errors[path] || ""});
  const options = (map, value, blank) => [el("option", {value: "", text: blank})].concat(
    Object.entries(map).map(([k, label]) => el("option", {value: k, text: label, selected: k === value})));

  async function openCall(sid) {
    callSid = sid;
    const resp = await fetch(cfg.api + "/records/" + encodeURIComponent(sid), {headers: {Accept: "application/json"}});
    const body = await resp.json();
    box.hidden = false;
    if (!resp.ok) { box.replaceChildren(el("p", {class: "error", id: "contact-refused", text: body.error})); return; }
    rec = body;
    rec.needs.forEach((n) => { n.typed = n.code ? n.code + " " + (n.name || "") : ""; });
    errors = {};
    render();
  }

  async function refreshReferrals() {
    if (!callSid || !rec) return;
    const resp = await fetch(cfg.api + "/records/" + encodeURIComponent(callSid));
    if (!resp.ok) return;
    const body = await resp.json();
    rec.referrals = body.referrals;
    if (!rec.needs.length && body.needs.length) rec.needs = body.needs.map((n) => ({...n, typed: n.code + " " + (n.name || "")}));
    render();
  }

  function needRow(need, i) {
    const at = "needs." + i;
    const search = el("input", {class: "need-search", value: need.typed || "", "aria-label": "Need " + (i + 1) + ": taxonomy code or name (English or French)", placeholder: "Code or name, e.g. BD-1800 or banque alimentaire", autocomplete: "off", size: 40});
    const list = el("ul", {class: "need-options", role: "listbox"});
    search.addEventListener("input", () => { need.typed = search.value; need.code = search.value.trim().split(/\s+/)[0] || ""; suggest(search.value, list, need); });
    search.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && list.firstChild) { e.preventDefault(); list.firstChild.click(); }
    });
    const outcome = (value, label) => {
      const radio = el("input", {type: "radio", name: "outcome-" + i, value, checked: need.outcome === value});
      radio.addEventListener("change", () => { need.outcome = value; if (value === "met") { need.reason = null; } else { need.referral_ids = []; } render(); });
      return el("label", {}, radio, " " + label);
    };
    const row = el("fieldset", {class: "need", "data-i": i},
      el("legend", {text: "Need " + (i + 1)}),
      el("div", {class: "typeahead"}, search, list), errorFor(at + ".code"),
      el("div", {}, outcome("met", "Met"), " ", outcome("unmet", "Unmet"), errorFor(at + ".outcome")));
    if (need.outcome === "met") {
      const refs = el("div", {class: "need-referrals"}, el("span", {class: "small", text: rec.referrals.length ? "Met by: " : "Met by information given (no referral on this call yet)"}));
      rec.referrals.forEach((r) => {
        const box = el("input", {type: "checkbox", class: "need-referral", value: r.id, checked: need.referral_ids.includes(r.id)});
        box.addEventListener("change", () => {
          need.referral_ids = box.checked ? need.referral_ids.concat([r.id]) : need.referral_ids.filter((x) => x !== r.id);
        });
        refs.appendChild(el("label", {}, box, " " + r.service_name + " "));
      });
      row.appendChild(refs); row.appendChild(errorFor(at + ".referral_ids"));
    }
    if (need.outcome === "unmet") {
      const reason = el("select", {class: "need-reason", "aria-label": "Why the need went unmet"}, options(cfg.reasons, need.reason, "Why unmet?"));
      reason.addEventListener("change", () => { need.reason = reason.value || null; });
      const note = el("input", {class: "need-note", value: need.note || "", placeholder: "Note (required for other)", size: 30});
      note.addEventListener("input", () => { need.note = note.value; });
      row.appendChild(el("div", {}, reason, " ", note));
      row.appendChild(errorFor(at + ".reason")); row.appendChild(errorFor(at + ".note"));
    }
    const remove = el("button", {type: "button", class: "need-remove", text: "Remove need"});
    remove.addEventListener("click", () => { rec.needs.splice(i, 1); errors = {}; render(); });
    row.appendChild(remove);
    return row;
  }

  function suggest(q, list, need) {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(async () => {
      const resp = await fetch(cfg.api + "/taxonomy?q=" + encodeURIComponent(q));
      if (!resp.ok) return;
      const body = await resp.json();
      list.replaceChildren(...body.terms.map((t) => {
        const li = el("li", {role: "option", "data-code": t.code, text: t.code + " " + t.name + (t.name_fr ? " / " + t.name_fr : "")});
        li.addEventListener("click", () => { need.code = t.code; need.name = t.name; need.typed = t.code + " " + t.name; render(); });
        return li;
      }));
    }, 120);
  }

  function field(label, control, path) { return el("div", {class: "field"}, el("label", {}, label + " ", control), errorFor(path)); }

  function render() {
    const disabled = !rec.can_edit;
    const status = rec.locked ? "locked" : rec.status;
    const head = el("div", {}, el("strong", {text: "Contact record "}), el("span", {id: "contact-status", class: "small", text: status + (rec.wrap_up_seconds != null ? " · wrap-up " + rec.wrap_up_seconds + " s" : "")}));
    const needs = el("div", {id: "contact-needs"}, rec.needs.map(needRow), errorFor("needs"));
    const add = el("button", {type: "button", id: "need-add", text: "Add a need"});
    add.addEventListener("click", () => { rec.needs.push({code: "", typed: "", outcome: null, referral_ids: [], reason: null, note: null}); render(); box.querySelector(".need:last-of-type .need-search").focus(); });
    const fsa = el("input", {id: "fsa", value: rec.fsa || "", size: 6, placeholder: "e.g. K1A", "aria-label": "Caller's FSA"});
    fsa.addEventListener("input", () => { rec.fsa = fsa.value; });
    const age = el("select", {id: "age_group"}, options(cfg.ages, rec.age_group, "Not asked"));
    age.addEventListener("change", () => { rec.age_group = age.value || null; });
    const type = el("select", {id: "call_type"}, options(cfg.types, rec.call_type, "Choose"));
    type.addEventListener("change", () => { rec.call_type = type.value || null; });
    const follow = el("input", {type: "checkbox", id: "follow_up", checked: rec.follow_up});
    follow.addEventListener("change", () => { rec.follow_up = follow.checked; });
    const due = el("input", {type: "date", id: "follow_up_due", value: rec.follow_up_due || ""});
    due.addEventListener("input", () => { rec.follow_up_due = due.value || null; });
    const form = el("form", {id: "contact-form", onsubmit: "return false"}, head, needs, add,
      field("FSA (first 3 characters of the postal code)", fsa, "fsa"), field("Age group", age, "age_group"),
      field("Call type", type, "call_type"), field("Follow-up wanted", follow, "follow_up"), field("Due", due, "follow_up_due"));
    if (rec.locked && rec.can_edit) {
      const why = el("input", {id: "edit_reason", value: rec.edit_reason || "", size: 40});
      why.addEventListener("input", () => { rec.edit_reason = why.value; });
      form.appendChild(field("Reason for changing a locked record", why, "edit_reason"));
    }
    const draft = el("button", {type: "button", id: "contact-save", text: "Save draft"});
    draft.addEventListener("click", () => save(false));
    const done = el("button", {type: "button", id: "contact-complete", text: "Complete record"});
    done.addEventListener("click", () => save(true));
    form.appendChild(el("div", {}, draft, " ", done, " ", el("span", {id: "contact-message", "aria-live": "polite", class: errors.body || Object.keys(errors).length ? "error" : "ok", text: rec.message || ""})));
    if (disabled) form.querySelectorAll("input,select,button").forEach((c) => { c.disabled = true; });
    box.replaceChildren(form);
  }

  async function save(complete) {
    const payload = {
      needs: rec.needs.map((n) => ({code: n.code || "", outcome: n.outcome, referral_ids: n.referral_ids, reason: n.reason, note: n.note})),
      fsa: rec.fsa, age_group: rec.age_group, call_type: rec.call_type, follow_up: rec.follow_up,
      follow_up_due: rec.follow_up_due, complete,
    };
    if (rec.locked) payload.edit_reason = rec.edit_reason || "";
    const resp = await fetch(cfg.api + "/records/" + encodeURIComponent(callSid), {
      method: "PUT", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}, body: JSON.stringify(payload)});
    const body = await resp.json();
    if (!resp.ok) {
      errors = body.errors || {body: body.error};
      rec.message = body.error + (body.errors ? "" : "");
      render();
      return;
    }
    const typed = rec.needs.map((n) => n.typed);
    rec = body;
    rec.needs.forEach((n, i) => { n.typed = typed[i] || (n.code + " " + (n.name || "")); });
    errors = {};
    rec.message = complete ? "Completed" : "Draft saved";
    render();
  }

  document.addEventListener("lookup:call", (e) => openCall(e.detail.call_sid));
  document.addEventListener("lookup:referral", refreshReferrals);
  if (cfg.open_call) openCall(cfg.open_call);
})();
