// The deal form's live conflict warning: asks the portal's check (nothing is stored) while
// the partner types, and lists why the customer may be taken. No inline script (CSP).
(function () {
  "use strict";
  var form = document.getElementById("deal-form");
  var box = document.getElementById("deal-conflicts");
  if (!form || !box) return;
  var timer = null;
  var asked = 0;

  function show(conflicts) {
    box.textContent = "";
    if (!conflicts.length) { box.hidden = true; return; }
    var title = document.createElement("strong");
    title.textContent = "This customer may already be taken:";
    var list = document.createElement("ul");
    conflicts.forEach(function (c) {
      var li = document.createElement("li");
      li.textContent = c.reason;  // text, never HTML
      list.appendChild(li);
    });
    box.appendChild(title);
    box.appendChild(list);
    box.hidden = false;
  }

  function check() {
    var company = form.elements.company.value.trim();
    if (company.length < 2) { show([]); return; }
    var mine = ++asked;
    fetch(form.dataset.checkUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
      body: JSON.stringify({ company: company, contact_email: form.elements.contact_email.value.trim() })
    }).then(function (r) { return r.ok ? r.json() : { conflicts: [] }; })
      .then(function (data) { if (mine === asked) show(data.conflicts || []); })
      .catch(function () { /* the check runs again on submit */ });
  }

  function later() { clearTimeout(timer); timer = setTimeout(check, 250); }
  form.elements.company.addEventListener("input", later);
  form.elements.contact_email.addEventListener("change", later);
  if (form.elements.company.value) check();
})();
