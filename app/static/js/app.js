// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  const FIELDS = "input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea";

  // The narrow-screen menu folds away only when this file runs (see app.css).
  document.documentElement.classList.add("js");

  // Menu groups are <details>: one open at a time; Escape or a click elsewhere closes it.
  function navGroups() {
    const groups = Array.prototype.slice.call(document.querySelectorAll(".nav-group"));
    groups.forEach(function (group) {
      group.addEventListener("toggle", function () {
        if (!group.open) return;
        groups.forEach(function (other) { if (other !== group) other.open = false; });
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      groups.forEach(function (group) {
        if (!group.open) return;
        group.open = false;
        if (group.contains(document.activeElement)) group.querySelector("summary").focus();
      });
    });
    document.addEventListener("click", function (event) {
      groups.forEach(function (group) {
        if (group.open && !group.contains(event.target)) group.open = false;
      });
    });
  }

  function navToggle() {
    const toggle = document.querySelector(".nav-toggle");
    const nav = document.getElementById("mainnav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        const open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", String(open));
      });
    }
  }

  // The control a message or a <label> is about.
  function controlOf(node) {
    const label = node.closest("label");
    if (label) return label.control || label.querySelector(FIELDS);
    const set = node.closest("fieldset");
    return set ? set.querySelector(FIELDS) : null;
  }

  function empty(control) {
    if (control.type === "checkbox" || control.type === "radio") {
      const group = control.form && control.name ? control.form.elements[control.name] : null;
      const list = group && group.length !== undefined ? Array.prototype.slice.call(group) : [control];
      return !list.some(function (c) { return c.checked; });
    }
    if (control.type === "file") return !control.files || control.files.length === 0;
    return !control.value;
  }

  // A form refused after a redirect: the server flashed each field's message (in words) for
  // this page; put each next to its field, where focusErrors finds it.
  function placeFieldErrors() {
    const main = document.getElementById("content");
    let fields = {};
    try { fields = JSON.parse((main && main.getAttribute("data-field-errors")) || "{}"); } catch (e) { return; }
    Object.keys(fields).forEach(function (name) {
      const control = document.querySelector(
        'main form [name="' + CSS.escape(name) + '"], main form [name="' + CSS.escape(name) + '[]"]'
      );
      if (!control || control.type === "hidden") return;
      const message = document.createElement("span");
      message.className = "field-error";
      message.textContent = fields[name];
      const holder = control.closest("label") || control.closest("fieldset");
      if (holder) holder.appendChild(message);
      else control.insertAdjacentElement("afterend", message);
    });
  }

  // A table wider than the screen scrolls sideways in its own box, not the whole page.
  function scrollTables() {
    each("main table.table", function (table) {
      if (table.parentElement.classList.contains("table-scroll")) return;
      const box = document.createElement("div");
      box.className = "table-scroll";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
      // A box that scrolls is reachable by keyboard (arrow keys scroll it).
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", "Table (scrolls sideways)");
      }
    });
  }

  // A page that answers a form with errors: mark the fields the messages are about, and put
  // the cursor in the first field that needs input (not in one the person already filled).
  function focusErrors() {
    let first = null;
    each(".field-error", function (message, i) {
      const control = controlOf(message);
      if (!control || control.disabled) return;
      if (!message.id) message.id = "field-error-" + i;
      control.setAttribute("aria-invalid", "true");
      const described = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(message.id) < 0) described.push(message.id);
      control.setAttribute("aria-describedby", described.join(" "));
      if (!first) first = control;
    });
    if (!first) first = document.querySelector('main [aria-invalid="true"]');
    const alert = document.querySelector("main .flash-error[role=alert]");
    if (!first && alert) {
      // A message about the form as a whole: the first required field still empty after it.
      const form = alert.nextElementSibling && alert.nextElementSibling.tagName === "FORM"
        ? alert.nextElementSibling
        : alert.closest("form") || document.querySelector("main form[method=post]");
      if (form) {
        first = Array.prototype.find.call(form.querySelectorAll(FIELDS), function (c) {
          return c.required && !c.disabled && empty(c);
        }) || null;
      }
    }
    if (first && document.activeElement !== first) first.focus();
  }

  // Required fields carry a visible mark; `required` already tells assistive technology.
  function markRequired() {
    each("main label", function (label) {
      const control = label.control || label.querySelector(FIELDS);
      if (!control || !control.required || label.querySelector(".req")) return;
      const mark = document.createElement("span");
      mark.className = "req";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = "*";
      // A group of radio buttons is one question: its legend is marked, once.
      const group = control.type === "radio" && label.closest("fieldset");
      const legend = group && group.querySelector("legend");
      if (legend) {
        if (!legend.querySelector(".req")) legend.appendChild(mark);
        return;
      }
      // After the label's own words, before the control inside it.
      let words = null;
      Array.prototype.forEach.call(label.childNodes, function (n) {
        if (!words && n.nodeType === Node.TEXT_NODE && n.textContent.trim()) words = n;
      });
      if (words) {
        // One box for the words and the mark: labels are grids, a bare mark would take a row.
        const text = document.createElement("span");
        text.className = "label-text";
        text.textContent = words.textContent.replace(/\s+$/, "");
        text.appendChild(mark);
        label.replaceChild(text, words);
        label.insertBefore(document.createTextNode(" "), text.nextSibling);
      } else {
        label.appendChild(mark);
      }
    });
    each("main form", function (form) {
      if (!form.querySelector(".req") || form.querySelector(".req-note")) return;
      const note = document.createElement("p");
      note.className = "req-note hint";
      note.textContent = "Fields marked * are required.";
      const first = form.querySelector(FIELDS);
      // Before the first field's group, not inside it (under the legend of "Kind").
      const anchor = first ? first.closest("fieldset") || first.closest("label") : null;
      if (anchor && anchor.parentNode) anchor.parentNode.insertBefore(note, anchor);
      else form.prepend(note);
    });
  }

  // Pages with several forms save one form at a time: a change made in one form and not saved
  // is not lost silently when another form is sent or the page is left.
  function unsavedChanges() {
    const forms = Array.prototype.filter.call(document.querySelectorAll("main form"), function (f) {
      return (f.getAttribute("method") || "").toLowerCase() === "post" && f.querySelector(FIELDS);
    });
    if (!forms.length) return;
    const dirty = new Set();
    let leaving = false;
    const title = function (form) {
      const h = form.querySelector("h2, h3, legend") ||
        (form.closest("section") && form.closest("section").querySelector("h2, h3"));
      return h ? "“" + h.textContent.trim() + "”" : "another form";
    };
    forms.forEach(function (form) {
      const touch = function (ev) {
        if (ev.target && ev.target.matches && ev.target.matches(FIELDS)) dirty.add(form);
      };
      form.addEventListener("input", touch);
      form.addEventListener("change", touch);
    });
    document.addEventListener("submit", function (ev) {
      const form = ev.target;
      const others = Array.from(dirty).filter(function (f) { return f !== form; });
      if (others.length && !window.confirm(
        "You have changes in " + others.map(title).join(" and ") +
        " that are not saved. Continue and lose them?"
      )) {
        ev.preventDefault();
        others[0].querySelector(FIELDS).focus();
        return;
      }
      leaving = true;
    });
    window.addEventListener("beforeunload", function (ev) {
      if (leaving || !dirty.size) return;
      ev.preventDefault();
      ev.returnValue = "";
    });
  }

  // Rows that open a record: the first cell holds the real link (keyboard, screen readers,
  // middle-click); a click anywhere else in the row follows it too.
  function rowLinks() {
    each("tr[data-row-link]", function (row) {
      const link = row.querySelector("a[href]");
      if (!link) return;
      row.addEventListener("click", function (ev) {
        if (ev.target.closest("a, button, input, select, textarea, label")) return;
        if (window.getSelection && String(window.getSelection())) return; // copying text
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey) window.open(link.href, "_blank", "noopener");
        else link.click();
      });
    });
  }

  // "New" is measured from the end of the previous visit: the page reports this one with a
  // POST (a GET never writes). The server asks for it only every few minutes.
  function recordVisit() {
    const url = document.body.dataset.visitUrl;
    if (!url || !window.fetch) return;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": document.body.dataset.csrf || "" },
      keepalive: true,
    }).catch(function () { /* best effort: the next page tries again */ });
  }

  // The skip link moves focus, not only the scroll position.
  function skipLink() {
    const link = document.querySelector(".skip-link");
    const main = document.getElementById("content");
    if (!link || !main) return;
    link.addEventListener("click", function () { main.focus(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    navToggle();
    navGroups();
    scrollTables();
    skipLink();
    markRequired();
    placeFieldErrors();
    focusErrors();
    unsavedChanges();
    rowLinks();
    recordVisit();
  });
})();
