// The visual zone editor: draw, move, resize and delete the rectangles that receive a partner's
// logo, text or QR code, then save them through the portal (CSRF token in X-CSRF-Token).
// Boxes are [x, y, width, height] as fractions of the page as the reader sees it, origin
// top-left: exactly a rectangle over the page preview divided by the preview's size.
(function () {
  "use strict";

  const MIN = 0.005; // smallest width or height of a zone, as a fraction of the page
  const KIND_LABELS = { logo: "Logo", text: "Text", qr: "QR code" };
  // Ready-made zones: what a vendor places on almost every asset, with text that works as is.
  // Boxes are where "Add zone" puts them (bottom of the page); drawing keeps the drawn box.
  const PRESETS = {
    logo: { kind: "logo", box: [0.06, 0.86, 0.24, 0.08], align: "left" },
    contact: {
      kind: "text",
      box: [0.34, 0.86, 0.42, 0.1],
      text: "{{ contact.name }}\n{{ contact.phone }} · {{ contact.email }}\n{{ contact.website }}\n{{ contact.address }}",
      valign: "top",
    },
    name: { kind: "text", box: [0.06, 0.8, 0.5, 0.04], text: "{{ partner_name }}", bold: true },
    text: { kind: "text", box: [0.35, 0.42, 0.3, 0.06], text: "" },
    qr: { kind: "qr", box: [0.8, 0.85, 0.12, 0.12], align: "right" },
  };

  // Placeholders as people call them (the insert buttons' words), for the zone list.
  const PLACEHOLDER_NAMES = {
    partner_name: "partner name",
    "brand.logo_url": "logo",
    "contact.name": "contact name",
    "contact.title": "title",
    "contact.phone": "phone",
    "contact.email": "email",
    "contact.website": "website",
    "contact.address": "address",
  };
  const NAME_LENGTH = 30;

  // What a zone is, readable in a narrow list: the ready-made ones by name, other text by its
  // first words with placeholders as their names ("Text: Call phone").
  function zoneName(zone) {
    if (zone.kind !== "text") return KIND_LABELS[zone.kind];
    const text = (zone.text || "").trim();
    if (!text) return "Text (empty)";
    if (text === PRESETS.contact.text) return "Contact block";
    if (text === PRESETS.name.text) return "Partner name";
    const words = text
      .replace(/\{\{\s*([\w.]+)\s*\}\}/g, function (_, name) { return PLACEHOLDER_NAMES[name] || name; })
      .split(/\s+/).join(" ");
    return "Text: " + (words.length > NAME_LENGTH ? words.slice(0, NAME_LENGTH - 1).replace(/\s+\S*$/, "") + "…" : words);
  }

  function clamp(v, lo, hi) { return Math.min(Math.max(v, lo), hi); }
  function round(v) { return Math.round(v * 10000) / 10000; }

  function normalBox(b) {
    let x = clamp(round(b[0]), 0, 1 - MIN);
    let y = clamp(round(b[1]), 0, 1 - MIN);
    let w = clamp(round(b[2]), MIN, 1 - x);
    let h = clamp(round(b[3]), MIN, 1 - y);
    // Rounding must never push the box past the page's edge.
    if (x + w > 1) w = round(1 - x);
    if (y + h > 1) h = round(1 - y);
    return [x, y, w, h];
  }

  function newZone(preset, box) {
    const p = PRESETS[preset] || PRESETS.logo;
    return {
      kind: p.kind,
      box: normalBox(box || p.box),
      pages: "all",
      text: p.text || "",
      color: null,
      align: p.align || (p.kind === "text" ? "left" : "center"),
      valign: p.valign || "middle",
      font_size: null,
      on_dark: false,
      bold: !!p.bold,
    };
  }

  function init(root) {
    const $ = function (name) { return root.querySelector('[data-ze="' + name + '"]'); };
    const pages = JSON.parse(root.dataset.pages || "[]");
    const pageCount = Math.max(pages.length, 1);
    const state = {
      zones: JSON.parse(root.dataset.zones || "[]"),
      selected: null,
      page: 1,
      dirty: false,
    };
    const stage = $("stage");
    const image = $("image");
    const overlay = $("overlay");
    const list = $("list");
    const empty = $("empty");
    const props = $("props");
    const status = $("status");
    const errors = $("errors");
    const preview = $("preview");
    const sample = $("sample");
    const pageSelect = $("page");
    const fitNote = $("fit");
    const live = root.dataset.live === "true";
    const unit = root.dataset.unit || "pt";
    state.fits = {};

    function applies(zone, page) {
      const p = zone.pages;
      if (p === "all") return true;
      if (p === "first") return page === 1;
      if (p === "last") return page === pageCount;
      return Array.isArray(p) && p.indexOf(page) !== -1;
    }

    function pagesLabel(p) {
      if (p === "all") return "all pages";
      if (p === "first") return "first page";
      if (p === "last") return "last page";
      return (p.length === 1 ? "page " : "pages ") + p.join(", ");
    }

    function zoneTitle(zone, i) {
      return (i + 1) + ". " + zoneName(zone);
    }

    function fitWarns(fit) {
      return !!fit && (fit.readable === false || fit.below > 0);
    }

    function setDirty(dirty) {
      state.dirty = dirty;
      if (dirty) {
        status.textContent = "Unsaved changes.";
        livePreview();
      }
    }

    function setStageShape() {
      const size = pages[state.page - 1];
      if (size && size[0] > 0 && size[1] > 0) {
        stage.style.aspectRatio = size[0] + " / " + size[1];
        // The stylesheet sizes the stage to the window's height through this ratio.
        root.style.setProperty("--ze-ratio", String(size[0] / size[1]));
      }
    }

    // -- drawing the zones and the list -----------------------------------------------------

    function render() {
      overlay.textContent = "";
      state.zones.forEach(function (zone, i) {
        if (!applies(zone, state.page)) return;
        const el = document.createElement("div");
        el.className = "ze-zone ze-" + zone.kind + (i === state.selected ? " selected" : "") +
          (fitWarns(state.fits[i]) ? " ze-warn" : "");
        el.dataset.index = String(i);
        el.tabIndex = 0;
        el.setAttribute("role", "button");
        el.setAttribute("aria-label", zoneTitle(zone, i) + ", " + pagesLabel(zone.pages));
        el.setAttribute("aria-pressed", String(i === state.selected));
        el.style.left = zone.box[0] * 100 + "%";
        el.style.top = zone.box[1] * 100 + "%";
        el.style.width = zone.box[2] * 100 + "%";
        el.style.height = zone.box[3] * 100 + "%";
        const label = document.createElement("span");
        label.className = "ze-label";
        label.textContent = zoneTitle(zone, i);
        const handle = document.createElement("span");
        handle.className = "ze-handle";
        handle.dataset.handle = "1";
        handle.setAttribute("aria-hidden", "true");
        el.append(label, handle);
        overlay.append(el);
      });
      list.textContent = "";
      state.zones.forEach(function (zone, i) {
        const li = document.createElement("li");
        const b = document.createElement("button");
        b.type = "button";
        b.className = "link" + (i === state.selected ? " current" : "");
        b.textContent = zoneTitle(zone, i);
        b.title = zoneTitle(zone, i);
        b.addEventListener("click", function () { select(i, true); });
        if (fitWarns(state.fits[i])) {
          const warn = document.createElement("span");
          warn.className = "warn";
          warn.textContent = " ⚠ text too small";
          li.append(warn);
        }
        const where = document.createElement("span");
        where.className = "muted";
        where.textContent = " · " + pagesLabel(zone.pages);
        li.prepend(b, where);
        list.append(li);
      });
      empty.hidden = state.zones.length > 0;
      fillProps();
    }

    function select(i, focus) {
      state.selected = i;
      const zone = i === null ? null : state.zones[i];
      if (zone && !applies(zone, state.page)) {
        // Show a page the zone is on.
        for (let p = 1; p <= pageCount; p += 1) {
          if (applies(zone, p)) { showPage(p); reloadPreview(); break; }
        }
      }
      render();
      if (focus && i !== null) {
        const el = overlay.querySelector('[data-index="' + i + '"]');
        if (el) el.focus();
      }
    }

    // -- the properties form ----------------------------------------------------------------

    function field(name) { return props.elements.namedItem(name); }

    function fillProps() {
      const zone = state.selected === null ? null : state.zones[state.selected];
      props.hidden = !zone;
      if (!zone) return;
      $("props-title").textContent = "Zone " + (state.selected + 1);
      field("kind").value = zone.kind;
      if (field("text").value !== (zone.text || "")) field("text").value = zone.text || "";
      showFit();
      field("align").value = zone.align;
      field("valign").value = zone.valign;
      const pagesSel = field("pages");
      const custom = pagesSel.querySelector('option[value="custom"]');
      if (custom) custom.remove();
      if (typeof zone.pages === "string") {
        pagesSel.value = zone.pages;
      } else if (zone.pages.length === 1 && zone.pages[0] === state.page) {
        pagesSel.value = "this";
      } else {
        const opt = document.createElement("option");
        opt.value = "custom";
        opt.textContent = pagesLabel(zone.pages);
        pagesSel.append(opt);
        pagesSel.value = "custom";
      }
      field("font_size").value = zone.font_size === null || zone.font_size === undefined ? "" : zone.font_size;
      field("use_color").checked = !!zone.color;
      field("color").value = zone.color && /^#[0-9a-fA-F]{6}$/.test(zone.color) ? zone.color : "#000000";
      field("bold").checked = !!zone.bold;
      field("on_dark").checked = !!zone.on_dark;
      ["x", "y", "w", "h"].forEach(function (k, n) {
        field(k).value = Math.round(zone.box[n] * 1000) / 10;
      });
      Array.prototype.forEach.call(props.querySelectorAll("[data-for-kind]"), function (el) {
        el.hidden = el.dataset.forKind !== zone.kind;
      });
    }

    function readProps(event) {
      const zone = state.selected === null ? null : state.zones[state.selected];
      if (!zone) return;
      const name = event.target.name;
      // The text is taken on every keystroke (below). Its change event comes on blur, often
      // from a click on an insert button: re-rendering then would move the panel under the
      // pointer and the click would miss.
      if (name === "text") return;
      zone.kind = field("kind").value;
      zone.text = zone.kind === "text" ? field("text").value : "";
      zone.align = field("align").value;
      zone.valign = field("valign").value;
      const pagesValue = field("pages").value;
      if (pagesValue === "this") zone.pages = [state.page];
      else if (pagesValue !== "custom") zone.pages = pagesValue;
      const size = parseFloat(field("font_size").value);
      zone.font_size = zone.kind === "text" && isFinite(size) && size > 0 ? size : null;
      if (name === "color") field("use_color").checked = true;
      zone.color = zone.kind === "text" && field("use_color").checked ? field("color").value : null;
      zone.bold = zone.kind === "text" && field("bold").checked;
      zone.on_dark = zone.kind === "logo" && field("on_dark").checked;
      if (["x", "y", "w", "h"].indexOf(name) !== -1) {
        const v = ["x", "y", "w", "h"].map(function (k, n) {
          const f = parseFloat(field(k).value);
          return isFinite(f) ? f / 100 : zone.box[n];
        });
        zone.box = normalBox(v);
      }
      setDirty(true);
      const keepFocus = event.target;
      render();
      requestFit();
      if (event.type === "change" && keepFocus && keepFocus.focus) keepFocus.focus();
    }

    props.addEventListener("change", readProps);
    const textInput = field("text");
    // Where the caret was when the text field last had it: a keyboard user tabs to an insert
    // button, and the insertion still goes where they left the caret.
    let caret = null;
    function keepCaret() { caret = { start: textInput.selectionStart, end: textInput.selectionEnd }; }
    ["keyup", "mouseup", "select", "blur", "input"].forEach(function (type) {
      textInput.addEventListener(type, keepCaret);
    });
    textInput.addEventListener("input", function (e) {
      const zone = state.zones[state.selected];
      if (!zone) return;
      zone.text = e.target.value;
      setDirty(true);
      const title = zoneTitle(zone, state.selected);
      const label = overlay.querySelector('[data-index="' + state.selected + '"] .ze-label');
      if (label) label.textContent = title;
      const item = list.children[state.selected];
      const button = item && item.querySelector("button");
      if (button) { button.textContent = title; button.title = title; }
      requestFit();
    });
    props.addEventListener("submit", function (e) { e.preventDefault(); });
    Array.prototype.forEach.call(props.querySelectorAll("[data-insert]"), function (b) {
      // Keep the focus (and the caret) in the text field while the button is pressed.
      b.addEventListener("mousedown", function (e) { e.preventDefault(); });
      b.addEventListener("click", function () {
        const value = textInput.value;
        const focused = document.activeElement === textInput;
        let start = focused ? textInput.selectionStart : caret && caret.start;
        let end = focused ? textInput.selectionEnd : caret && caret.end;
        if (start === null || start === undefined) start = value.length;
        if (end === null || end === undefined) end = start;
        const piece = b.dataset.insert;
        textInput.value = value.slice(0, start) + piece + value.slice(end);
        textInput.focus();
        textInput.setSelectionRange(start + piece.length, start + piece.length);
        textInput.dispatchEvent(new Event("input"));
      });
    });

    // -- how text zones will print (asked of the server: the same fitting as the renderer) ---

    // One line per zone: what prints, or what is wrong and what to do. Sizes are shown to a
    // tenth, never below the minimum when the text prints at it (6.99 is 7).
    function describeFit(fit) {
      const min = fit.min_size;
      const size = function (v) { return Math.round(Math.max(v, v >= min - 0.05 ? min : 0) * 10) / 10 + " " + unit; };
      const who = fit.below > 0
        ? " for " + fit.below + " of " + fit.checked + " partner" + (fit.checked === 1 ? "" : "s") + " in the audience"
        : fit.partner ? " for " + fit.partner : "";
      const sampleBad = fit.size !== null && fit.size !== undefined && (fit.truncated || !fit.readable);
      if (!sampleBad && !(fit.below > 0)) {
        if (fit.size === null || fit.size === undefined) {
          return { text: fit.checked > 0 ? "Readable for all " + fit.checked + " partners in the audience." : "", warn: false };
        }
        return { text: "Prints at " + size(fit.size) + " on " + fit.lines.length + " line" + (fit.lines.length === 1 ? "" : "s") + " for " + fit.partner + ".", warn: false };
      }
      const worst = sampleBad ? fit.size : fit.smallest.size;
      if (sampleBad && !fit.truncated) {
        return { text: "Prints at " + size(worst) + ", below the " + size(min) + " minimum" + who + ": choose a larger font size.", warn: true };
      }
      if (worst < min - 0.05) {
        return { text: "Too low for one line at " + size(min) + who + ": make the box taller.", warn: true };
      }
      return { text: "Cut off at " + size(min) + who + ": make the box larger or the text shorter.", warn: true };
    }

    function showFit() {
      if (!fitNote) return;
      const zone = state.selected === null ? null : state.zones[state.selected];
      const fit = zone && zone.kind === "text" ? state.fits[state.selected] : null;
      if (!fit) { fitNote.textContent = ""; fitNote.className = "ze-fit"; return; }
      const d = describeFit(fit);
      fitNote.textContent = d.text;
      fitNote.className = "ze-fit " + (d.warn ? "warn" : "ok");
    }

    let fitTimer = null;
    let fitSeq = 0;
    function requestFit() {
      if (!root.dataset.fitUrl) return;
      clearTimeout(fitTimer);
      fitTimer = setTimeout(function () {
        const seq = ++fitSeq;
        const sent = JSON.stringify({ zones: state.zones, partner_id: sample ? Number(sample.value) : null });
        fetch(root.dataset.fitUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf, Accept: "application/json" },
          body: sent,
        })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (body) {
            if (seq !== fitSeq || !body) return; // a newer question is on its way
            state.fits = {};
            body.zones.forEach(function (f) { state.fits[f.index] = f; });
            const focused = document.activeElement;
            render();
            if (focused && focused !== document.body && document.contains(focused)) focused.focus();
            root.dataset.fitDone = String(seq);
          })
          .catch(function () { /* the warnings are a help; the editor works without them */ });
      }, 300);
    }

    function removeSelected() {
      if (state.selected === null) return;
      state.zones.splice(state.selected, 1);
      state.selected = null;
      state.fits = {};
      setDirty(true);
      render();
      requestFit();
      overlay.focus();
    }
    $("delete").addEventListener("click", removeSelected);

    // -- pointer: draw, move, resize --------------------------------------------------------

    function point(e) {
      const r = image.getBoundingClientRect();
      return {
        x: clamp((e.clientX - r.left) / r.width, 0, 1),
        y: clamp((e.clientY - r.top) / r.height, 0, 1),
      };
    }

    let drag = null;

    overlay.addEventListener("pointerdown", function (e) {
      if (e.button !== 0) return;
      const p = point(e);
      const zoneEl = e.target.closest(".ze-zone");
      if (zoneEl) {
        const i = Number(zoneEl.dataset.index);
        const zone = state.zones[i];
        drag = {
          mode: e.target.dataset.handle ? "resize" : "move",
          index: i,
          start: p,
          box: zone.box.slice(),
        };
        if (state.selected !== i) select(i, false);
      } else {
        const ghost = document.createElement("div");
        ghost.className = "ze-zone ze-ghost";
        overlay.append(ghost);
        drag = { mode: "draw", start: p, ghost: ghost, box: [p.x, p.y, 0, 0] };
      }
      overlay.setPointerCapture(e.pointerId);
      e.preventDefault();
    });

    overlay.addEventListener("pointermove", function (e) {
      if (!drag) return;
      const p = point(e);
      const dx = p.x - drag.start.x;
      const dy = p.y - drag.start.y;
      if (drag.mode === "draw") {
        const x = Math.min(p.x, drag.start.x);
        const y = Math.min(p.y, drag.start.y);
        drag.box = [x, y, Math.abs(dx), Math.abs(dy)];
        const s = drag.ghost.style;
        s.left = x * 100 + "%";
        s.top = y * 100 + "%";
        s.width = Math.abs(dx) * 100 + "%";
        s.height = Math.abs(dy) * 100 + "%";
        return;
      }
      const zone = state.zones[drag.index];
      const b = drag.box;
      if (drag.mode === "move") {
        zone.box = normalBox([clamp(b[0] + dx, 0, 1 - b[2]), clamp(b[1] + dy, 0, 1 - b[3]), b[2], b[3]]);
      } else {
        zone.box = normalBox([b[0], b[1], clamp(b[2] + dx, MIN, 1 - b[0]), clamp(b[3] + dy, MIN, 1 - b[1])]);
      }
      const el = overlay.querySelector('[data-index="' + drag.index + '"]');
      if (el) {
        el.style.left = zone.box[0] * 100 + "%";
        el.style.top = zone.box[1] * 100 + "%";
        el.style.width = zone.box[2] * 100 + "%";
        el.style.height = zone.box[3] * 100 + "%";
      }
      drag.moved = true;
    });

    function endDrag() {
      if (!drag) return;
      const d = drag;
      drag = null;
      if (d.mode === "draw") {
        d.ghost.remove();
        if (d.box[2] >= 0.01 && d.box[3] >= 0.01) {
          addZone(chosenPreset(), d.box);
        } else {
          select(null, false);
        }
        return;
      }
      if (d.moved) { setDirty(true); requestFit(); }
      render();
      const el = overlay.querySelector('[data-index="' + d.index + '"]');
      if (el) el.focus();
    }
    overlay.addEventListener("pointerup", endDrag);
    overlay.addEventListener("pointercancel", endDrag);

    // -- keyboard ---------------------------------------------------------------------------

    overlay.addEventListener("keydown", function (e) {
      const zoneEl = e.target.closest && e.target.closest(".ze-zone");
      if (!zoneEl) return;
      const i = Number(zoneEl.dataset.index);
      if (e.key === "Enter" || e.key === " ") { select(i, true); e.preventDefault(); return; }
      if (e.key === "Delete" || e.key === "Backspace") {
        state.selected = i;
        removeSelected();
        e.preventDefault();
        return;
      }
      const step = e.altKey ? 0.001 : 0.005;
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      const m = moves[e.key];
      if (!m) return;
      const zone = state.zones[i];
      const b = zone.box;
      zone.box = e.shiftKey
        ? normalBox([b[0], b[1], clamp(b[2] + m[0], MIN, 1 - b[0]), clamp(b[3] + m[1], MIN, 1 - b[1])])
        : normalBox([clamp(b[0] + m[0], 0, 1 - b[2]), clamp(b[1] + m[1], 0, 1 - b[3]), b[2], b[3]]);
      state.selected = i;
      setDirty(true);
      render();
      requestFit();
      const el = overlay.querySelector('[data-index="' + i + '"]');
      if (el) el.focus();
      e.preventDefault();
    });

    function chosenPreset() {
      return (root.querySelector('input[name="ze-newkind"]:checked') || {}).value || "logo";
    }

    // The part of the page on screen, as fractions of its height: a ready-made box low on the
    // page lands off-screen on a laptop, so it moves up into view (kept as low as it fits).
    function withinView(box) {
      const r = image.getBoundingClientRect();
      if (!r.height) return box;
      let bottom = window.innerHeight;
      Array.prototype.forEach.call(document.querySelectorAll(".ze-savebar"), function (bar) {
        const b = bar.getBoundingClientRect();
        // A sticky bar over the page's column hides what is under it.
        if (b.height && b.left < r.right && b.right > r.left && b.top < bottom && b.top > r.top) bottom = b.top;
      });
      const top = clamp(-r.top / r.height, 0, 1);
      const end = clamp((bottom - r.top) / r.height, 0, 1);
      const margin = 0.02;
      if (box[1] >= top && box[1] + box[3] <= end) return box;
      if (end - top < box[3] + margin) return normalBox([box[0], top, box[2], box[3]]);
      const y = clamp(Math.min(box[1], end - box[3] - margin), top + margin, 1 - box[3]);
      return normalBox([box[0], y, box[2], box[3]]);
    }

    function addZone(preset, box) {
      const zone = newZone(preset, box);
      if (zone.kind === "qr" && !box) {
        // A square on the page, whatever its shape.
        const size = pages[state.page - 1];
        if (size && size[0] > 0 && size[1] > 0) zone.box = normalBox([zone.box[0], zone.box[1], zone.box[2], zone.box[2] * size[0] / size[1]]);
      }
      if (!box) zone.box = withinView(zone.box);
      if (pageCount > 1 && state.page !== 1) zone.pages = [state.page];
      state.zones.push(zone);
      setDirty(true);
      if (zone.kind === "text") {
        select(state.zones.length - 1, false);
        // Ready to type: the caret after the ready-made text.
        textInput.focus();
        textInput.setSelectionRange(textInput.value.length, textInput.value.length);
        keepCaret();
      } else {
        select(state.zones.length - 1, true);
      }
      requestFit();
    }

    $("add").addEventListener("click", function () { addZone(chosenPreset(), null); });

    // -- pages ------------------------------------------------------------------------------

    function showPage(n) {
      state.page = n;
      image.src = root.dataset.pageBase.replace(/\/pages\/1$/, "/pages/" + n) + "?width=600";
      image.alt = "Page " + n + " of the template";
      if (pageSelect) pageSelect.value = String(n);
      setStageShape();
    }
    if (pageSelect) {
      pageSelect.addEventListener("change", function () {
        showPage(Number(pageSelect.value));
        render();
        reloadPreview();
      });
    }

    // -- saving and the preview -------------------------------------------------------------

    const previewNote = $("preview-note");
    let previewUrl = null;
    let previewTimer = null;
    let previewSeq = 0;

    function reloadPreview() {
      if (!preview || !sample) return;
      // The cached render shows page 1 only; any other page (or unsaved zones) is rendered on
      // request, so the preview always shows the page being edited.
      if (state.dirty || state.page !== 1) { livePreview(); return; }
      clearTimeout(previewTimer);
      previewSeq += 1; // an answer for older unsaved zones must not replace this one
      preview.src = root.dataset.previewBase + "&partner_id=" + encodeURIComponent(sample.value) + "&v=" + Date.now();
      if (previewNote) previewNote.textContent = "Saved zones, page 1.";
    }

    // The preview follows the unsaved zones (asked of the server, which renders them without
    // storing anything), so the vendor sees a change before partners get it.
    function livePreview() {
      if (!preview || !sample || !root.dataset.livePreviewUrl) return;
      clearTimeout(previewTimer);
      if (previewNote) previewNote.textContent = "Updating…";
      previewTimer = setTimeout(function () {
        const seq = ++previewSeq;
        const page = state.page;
        fetch(root.dataset.livePreviewUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf },
          body: JSON.stringify({ zones: state.zones, partner_id: Number(sample.value), page: page }),
        })
          .then(function (r) {
            if (!r.ok) return r.json().then(function (b) { throw new Error((b.error || {}).message || "The preview could not be made."); });
            return r.blob();
          })
          .then(function (blob) {
            if (seq !== previewSeq) return;
            if (previewUrl) URL.revokeObjectURL(previewUrl);
            previewUrl = URL.createObjectURL(blob);
            preview.src = previewUrl;
            preview.dataset.page = String(page);
            if (previewNote) {
              previewNote.textContent = state.dirty
                ? "Unsaved zones, page " + page + (live ? ": partners get this when you save." : ".")
                : "Saved zones, page " + page + ".";
            }
          })
          .catch(function (err) {
            if (seq === previewSeq && previewNote) previewNote.textContent = err.message;
          });
      }, 500);
    }
    if (sample) sample.addEventListener("change", function () { reloadPreview(); requestFit(); });

    // Zoom: the preview grows inside its frame, which scrolls.
    const zooms = [1, 1.5, 2, 3, 4];
    let zoom = 0;
    let fitWidth = 0;
    function applyZoom() {
      if (!preview) return;
      if (zoom === 0) {
        // "Fit" is the stylesheet's: the whole page inside the frame.
        preview.classList.remove("zoomed");
        preview.style.width = "";
      } else {
        if (!preview.classList.contains("zoomed")) fitWidth = preview.getBoundingClientRect().width;
        preview.classList.add("zoomed");
        preview.style.width = Math.round(fitWidth * zooms[zoom]) + "px";
      }
      const level = $("zoom-level");
      if (level) level.textContent = zoom === 0 ? "Fit" : zooms[zoom] * 100 + "%";
      $("zoom-out").disabled = zoom === 0;
      $("zoom-in").disabled = zoom === zooms.length - 1;
    }
    if ($("zoom-in")) {
      $("zoom-in").addEventListener("click", function () { zoom = Math.min(zoom + 1, zooms.length - 1); applyZoom(); });
      $("zoom-out").addEventListener("click", function () { zoom = Math.max(zoom - 1, 0); applyZoom(); });
      $("zoom-fit").addEventListener("click", function () { zoom = 0; applyZoom(); });
      applyZoom();
    }

    $("save").addEventListener("click", function () {
      const button = $("save");
      button.disabled = true;
      status.textContent = "Saving…";
      errors.textContent = "";
      fetch(root.dataset.saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRF-Token": root.dataset.csrf,
          Accept: "application/json",
        },
        body: JSON.stringify({ zones: state.zones }),
      })
        .then(function (r) {
          return r.json().then(function (body) { return { ok: r.ok, body: body }; },
            function () { return { ok: false, body: { error: { message: "The server answered " + r.status + ".", fields: {} } } }; });
        })
        .then(function (res) {
          if (res.ok) {
            state.zones = res.body.zones;
            if (state.selected !== null && state.selected >= state.zones.length) state.selected = null;
            state.dirty = false;
            const saved = "Saved " + state.zones.length + " zone" + (state.zones.length === 1 ? "" : "s");
            status.textContent = res.body.live
              ? saved + ". Live now: " + res.body.reach + " partner" + (res.body.reach === 1 ? "" : "s") + " (" + res.body.audience + ") get these zones in new downloads."
              : saved + " (draft: partners see them once you publish this version).";
            render();
            reloadPreview();
            return;
          }
          const err = res.body.error || {};
          status.textContent = err.message || "Not saved.";
          Object.keys(err.fields || {}).forEach(function (key) {
            const li = document.createElement("li");
            const m = /^zones\.(\d+)$/.exec(key);
            li.textContent = (m ? "Zone " + (Number(m[1]) + 1) : key) + ": " + err.fields[key];
            errors.append(li);
          });
        })
        .catch(function () { status.textContent = "Not saved: the server could not be reached."; })
        .then(function () { button.disabled = false; });
    });

    window.addEventListener("beforeunload", function (e) {
      if (state.dirty) { e.preventDefault(); e.returnValue = ""; }
    });

    overlay.tabIndex = -1;
    setStageShape();
    render();
    requestFit();
  }

  document.addEventListener("DOMContentLoaded", function () {
    const root = document.getElementById("zone-editor");
    if (root) init(root);
  });
})();
