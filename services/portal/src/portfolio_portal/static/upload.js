// Upload straight to object storage through the presigned URL (R-FILE-1, R-FILE-2).
// 1. check type and size here (saves a trip; the artifacts service decides),
// 2. SHA-256 of each file in the browser, 3. ask the portal to start the upload (it calls artifacts
// with the student's token and answers the presigned PUTs), 4. PUT the bytes with XHR and a progress
// bar, 5. ask the portal to complete it: artifacts checks size, SHA-256 and the real type; a refusal
// cancels the draft, so nothing is kept. No framework, no build step.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var TYPES = {
    document: { pdf: "application/pdf", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png" },
    media: { mp3: "audio/mpeg", mp4: "video/mp4" }
  };
  var csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
  var bar = document.getElementById("upload-progress");
  var percent = document.getElementById("upload-percent");
  var result = document.getElementById("upload-result");
  var messages = document.getElementById("messages");

  function msg(name) { return form.getAttribute("data-msg-" + name) || name; }
  function sizeText(n) { return (n / 1048576).toFixed(2) + " MB"; }
  // Two sizes in MB, or both in bytes when two decimals would hide the excess (4.00 MB vs 4.00 MB).
  function sizesText(size, limit) {
    var a = sizeText(size), b = sizeText(limit);
    return a === b ? [size + " B", limit + " B"] : [a, b];
  }
  function showError(html) {
    messages.innerHTML = html;
    result.textContent = "";
    messages.focus && messages.scrollIntoView({ block: "nearest" });
  }
  function showText(text) {
    var div = document.createElement("div");
    div.className = "problem";
    div.setAttribute("role", "alert");
    var p = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = text;
    p.appendChild(strong);
    div.appendChild(p);
    messages.innerHTML = "";
    messages.appendChild(div);
    result.textContent = "";
  }
  function setProgress(value) {
    var v = Math.max(0, Math.min(100, Math.round(value)));
    bar.value = v;
    bar.textContent = v + "%";
    percent.textContent = v + "%";
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: body === undefined ? "{}" : JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, error_html: "" }; });
    });
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function describe(slot, file) {
    var ext = (file.name.split(".").pop() || "").toLowerCase();
    var type = TYPES[slot][ext];
    if (!type) { return Promise.reject({ text: msg("file-type") }); }
    var max = parseInt(form.getAttribute("data-" + slot + "-max"), 10);
    if (file.size > max) {
      var shown = sizesText(file.size, max);
      return Promise.reject({
        text: msg("file-size").replace("{name}", file.name).replace("{size}", shown[0]).replace("{limit}", shown[1])
      });
    }
    return file.arrayBuffer().then(function (data) {
      return crypto.subtle.digest("SHA-256", data);
    }).then(function (digest) {
      return { slot: slot, filename: file.name, content_type: type, size: file.size, sha256: hex(digest), file: file };
    });
  }
  function put(ticket, file, done, total) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(ticket.method || "PUT", ticket.url);
      Object.keys(ticket.headers || {}).forEach(function (h) {
        if (h.toLowerCase() !== "content-length" && h.toLowerCase() !== "host") { xhr.setRequestHeader(h, ticket.headers[h]); }
      });
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { setProgress(((done + e.loaded) / total) * 100); }
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) { resolve(); } else { reject({ status: xhr.status }); }
      };
      xhr.onerror = function () { reject({ status: 0 }); };
      xhr.send(file);
    });
  }
  // The list and the counter of uploads left, read again from the page itself (the progress bar
  // stays at 100 % with the result beside it).
  function refresh() {
    return fetch(window.location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        Array.prototype.forEach.call(document.querySelectorAll("[data-refresh]"), function (el) {
          var next = fresh.getElementById(el.id);
          if (next) { el.replaceWith(next); }
        });
      });
  }
  function fieldsOf() {
    var out = {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-field]"), function (el) {
      out[el.getAttribute("data-field")] = el.value;
    });
    return out;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    messages.innerHTML = "";
    setProgress(0);
    var kind = form.getAttribute("data-kind");
    var chosen = [];
    ["document", "media"].forEach(function (slot) {
      var input = form.elements[slot];
      if (input && input.files && input.files[0]) { chosen.push([slot, input.files[0]]); }
    });
    if (!chosen.length && kind === "outcome") { showText(msg("need-file")); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var itemId = null;
    Promise.all(chosen.map(function (c) { return describe(c[0], c[1]); })).then(function (declared) {
      var files = declared.map(function (d) {
        return { slot: d.slot, filename: d.filename, content_type: d.content_type, size: d.size, sha256: d.sha256 };
      });
      var body;
      if (kind === "outcome") {
        body = {
          course_id: form.elements.course_id.value, title: form.elements.title.value,
          description: form.elements.description.value, files: files
        };
      } else {
        body = {
          academic_year: parseInt(form.elements.academic_year.value, 10), category: form.elements.category.value,
          description: form.elements.description.value, fields: fieldsOf(), files: files
        };
      }
      return post(form.getAttribute("data-start"), body).then(function (started) {
        if (!started.ok) { throw { html: started.error_html }; }
        itemId = started.id;
        var total = declared.reduce(function (n, d) { return n + d.size; }, 0) || 1;
        var done = 0;
        var chain = Promise.resolve();
        started.uploads.forEach(function (ticket) {
          var d = declared.filter(function (x) { return x.slot === ticket.slot; })[0];
          chain = chain.then(function () {
            return put(ticket, d.file, done, total).then(function () { done += d.size; setProgress((done / total) * 100); });
          });
        });
        return chain.then(function () {
          setProgress(100);
          return post(form.getAttribute("data-base") + "/" + itemId + "/complete");
        }, function (failure) {
          post(form.getAttribute("data-base") + "/" + itemId + "/cancel");
          throw { text: msg("upload-failed") + (failure && failure.status ? " (HTTP " + failure.status + ")" : "") };
        });
      });
    }).then(function (completed) {
      if (!completed.ok) { throw { html: completed.error_html }; }
      form.reset();
      var fields = document.getElementById("category-fields");
      if (fields) { fields.innerHTML = ""; }
      button.disabled = false;
      return refresh().then(function () { result.textContent = msg("done"); });
    }).catch(function (error) {
      if (error && error.html) { showError(error.html); }
      else if (error && error.text) { showText(error.text); }
      else { showText(msg("upload-failed")); }
      button.disabled = false;
    });
  });
})();
