/* Scanning station: keyboard-wedge scanners (fast keys + Enter/Tab) and typing, on Latin or
   Arabic keyboard layouts. Each scan is checked by the server at once; the batch is confirmed
   in one transaction. The layout map comes from labtrack.scanning (one table for both sides). */
(function () {
  "use strict";
  var root = document.getElementById("station");
  if (!root) { return; }
  var layoutMap = JSON.parse(document.getElementById("layout-map").textContent);
  var text = JSON.parse(document.getElementById("station-messages").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var repeatWindowMs = parseFloat(root.dataset.repeatWindow || "2") * 1000;
  var input = document.getElementById("scan");
  var feedback = document.getElementById("feedback");
  var list = document.getElementById("scans");
  var stationId = Math.random().toString(36).slice(2, 10);
  var accepted = [];   // {accession, expected}
  var seen = {};       // normalised codes in this batch (also pending ones)
  var last = {code: null, at: 0};
  var keyTimes = [];
  var queue = Promise.resolve();
  var audio = null;

  function multiKeys() { return Object.keys(layoutMap).filter(function (k) { return k.length > 1; }); }
  var multi = multiKeys();

  function toLatin(raw) {
    var out = "", i = 0;
    while (i < raw.length) {
      var pair = raw.substr(i, 2);
      if (multi.indexOf(pair) >= 0) { out += layoutMap[pair]; i += 2; continue; }
      var ch = raw.charAt(i);
      out += Object.prototype.hasOwnProperty.call(layoutMap, ch) ? layoutMap[ch] : ch;
      i += 1;
    }
    return out.trim().toUpperCase();
  }

  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = ok ? "sine" : "square";
      osc.frequency.value = ok ? 1320 : 220;
      gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + (ok ? 0.08 : 0.45));
    } catch (e) { /* no sound available: colour still tells */ }
  }

  function show(kind, message) {
    feedback.className = kind;
    feedback.textContent = message;
    feedback.dataset.state = kind;
  }

  function addLine(kind, message) {
    var li = document.createElement("li");
    li.className = kind;
    li.textContent = message;
    list.appendChild(li);
    return li;
  }

  function action() { return document.querySelector('input[name="action"]:checked').value; }
  function val(id) { return document.getElementById(id).value.trim(); }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"},
      body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (data) { return {status: r.status, data: data}; }); });
  }

  function handle(raw, method) {
    var code = toLatin(raw);
    if (!code) { return; }
    var now = Date.now();
    if (last.code === code && now - last.at < repeatWindowMs) { show("info", text.repeat); return; }
    last = {code: code, at: now};
    if (seen[code]) {
      show("error", code + ": " + text.duplicate); beep(false); addLine("error", code + ": " + text.duplicate);
      return;
    }
    seen[code] = true;
    queue = queue.then(function () {
      return post(root.dataset.validateUrl, {
        code: raw, action: action(), batch: accepted.map(function (a) { return a.accession; }),
        to_location: val("to_location"), from_location: val("from_location"), to_badge: val("to_badge")
      }).then(function (r) {
        var a = r.data;
        if (r.status !== 200) { delete seen[code]; show("error", a.message || text.network); beep(false); return; }
        if (!a.ok) {
          delete seen[code];
          show("error", a.message); beep(false); addLine("error", a.message); return;
        }
        delete seen[code];
        if (a.kind === "badge") {
          document.getElementById("to_badge").value = a.accession;
          document.getElementById("to_person").textContent = a.message;
          show("ok", text.badge + ": " + a.message); beep(true); return;
        }
        if (a.kind === "location-target") {
          document.getElementById("to_location").value = a.accession;
          show("ok", text.target + ": " + a.accession + " " + a.message); beep(true); return;
        }
        seen[a.accession] = true;
        accepted.push({accession: a.accession, expected: a.expected_previous_event_id, method: method});
        show("ok", a.message); beep(true); addLine("ok", a.message);
      }).catch(function () { delete seen[code]; show("error", text.network); beep(false); });
    });
  }

  input.addEventListener("keydown", function (event) {
    keyTimes.push(Date.now());
    if (event.key !== "Enter" && event.key !== "Tab") { return; }
    event.preventDefault();
    var raw = input.value;
    input.value = "";
    var times = keyTimes; keyTimes = [];
    var fast = times.length > 4 && (times[times.length - 1] - times[0]) / (times.length - 1) < 40;
    handle(raw, fast ? "scanned" : "typed");
    input.focus();
  });

  document.getElementById("confirm").addEventListener("click", function () {
    queue.then(function () {
      if (!accepted.length) { show("error", text.empty); beep(false); return; }
      var batch = "B-" + stationId.toUpperCase() + "-" + Date.now().toString(36).toUpperCase();
      var events = accepted.map(function (a) {
        return {item: a.accession, action: action(), event_key: batch + ":" + a.accession,
                expected_previous_event_id: a.expected, method: a.method,
                to_location: val("to_location"), from_location: val("from_location"), to_badge: val("to_badge"),
                to_party: val("to_party"), seal_number: val("seal_number")};
      });
      return post(root.dataset.recordUrl, {events: events, batch_ref: batch}).then(function (r) {
        var result = document.getElementById("result");
        if (r.status === 200 || r.status === 201) {
          result.innerHTML = "";
          var p = document.createElement("p");
          p.textContent = text.recorded + ": " + r.data.events.length + " · " + r.data.batch_ref + " ";
          // issuing is a POST (a numbered document); a link would issue one at every click or crawl
          var form = document.createElement("form");
          form.method = "post"; form.target = "_blank"; form.className = "inline";
          form.action = root.dataset.manifestUrl.replace("BATCH", encodeURIComponent(r.data.batch_ref));
          var token = document.createElement("input");
          token.type = "hidden"; token.name = "csrf_token"; token.value = csrf;
          var issue = document.createElement("button");
          issue.type = "submit"; issue.textContent = text.manifest;
          form.appendChild(token); form.appendChild(issue);
          p.appendChild(form); result.appendChild(p);
          show("ok", text.recorded + ": " + r.data.events.length); beep(true);
          accepted = []; seen = {}; list.innerHTML = "";
          clearSideFields();  // a new batch starts with nothing carried over
        } else {
          var lines = (r.data.problems || []).map(function (p) { return p.message; });
          show("error", r.data.message + (lines.length ? " — " + lines.join("; ") : "")); beep(false);
        }
      }).catch(function () { show("error", text.network); beep(false); });
    });
    input.focus();
  });

  document.getElementById("clear").addEventListener("click", function () {
    accepted = []; seen = {}; list.innerHTML = ""; show("info", ""); clearSideFields(); input.focus();
  });

  function clearSideFields() {
    ["to_location", "from_location", "to_badge", "to_party", "seal_number"].forEach(function (id) {
      var field = document.getElementById(id);
      if (field) { field.value = ""; }
    });
    var person = document.getElementById("to_person");
    if (person) { person.textContent = ""; }
  }

  function typingField(element) {
    if (!element || element === input) { return false; }
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    return tag === "INPUT" && ["radio", "checkbox", "button", "submit", "hidden"].indexOf(element.type) < 0;
  }

  // After a click on anything but a field to type in (an action, a button, the page), the scan
  // input takes the focus back: the next scan goes where it belongs.
  root.addEventListener("click", function (event) {
    if (!typingField(event.target)) { setTimeout(function () { input.focus(); }, 0); }
  });
  // A scan arriving while nothing that takes typing has the focus is not lost: its keys are
  // sent to the scan input.
  document.addEventListener("keydown", function (event) {
    if (document.activeElement === input || typingField(document.activeElement)) { return; }
    // the menu button of a narrow screen opens with Space (static/js/menu.js); a scan has no spaces
    if (event.key === " " && document.activeElement && document.activeElement.id === "menu-toggle") { return; }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key.length === 1) {
      event.preventDefault();
      input.focus();
      input.value += event.key;
      keyTimes.push(Date.now());
    } else if (event.key === "Enter" && input.value) {
      event.preventDefault();
      input.focus();
      input.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true}));
    }
  });
})();
