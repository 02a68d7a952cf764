// Asset library pages: small progressive enhancements. Every page works without this file,
// except the live parts (job progress, copy button), which fall back to plain links.
(function () {
  "use strict";

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  // A select in an .autosubmit form (the sample partner of a preview) applies at once.
  function autosubmit() {
    each("form.autosubmit select", function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  // Thumbnails and previews that fail to load show words instead of a broken image.
  function imageFallbacks() {
    const broken = function (img) { return img.complete && img.naturalWidth === 0 && img.getAttribute("src"); };
    each("img[data-fallback]", function (img) {
      const fallback = function () {
        const label = document.createElement("span");
        label.className = "thumb-label";
        label.textContent = img.dataset.fallback;
        img.replaceWith(label);
      };
      img.addEventListener("error", fallback);
      if (broken(img)) fallback();
    });
    each("img.render-preview[data-error-text]", function (img) {
      const note = document.createElement("p");
      note.className = "empty preview-error";
      note.textContent = img.dataset.errorText;
      note.hidden = true;
      img.after(note);
      img.addEventListener("error", function () { img.hidden = true; note.hidden = false; });
      img.addEventListener("load", function () { img.hidden = false; note.hidden = true; });
      if (broken(img)) { img.hidden = true; note.hidden = false; }
    });
  }

  // The tracked link's copy button.
  function copyButtons() {
    each("button[data-copy]", function (button) {
      const input = document.getElementById(button.dataset.copy);
      const status = document.querySelector('[data-copy-status="' + button.dataset.copy + '"]');
      button.addEventListener("click", function () {
        const done = function (ok) {
          if (status) status.textContent = ok ? "Copied to the clipboard." : "Press Ctrl+C (or Cmd+C) to copy.";
          button.textContent = ok ? "Copied" : "Copy";
          if (ok) setTimeout(function () { button.textContent = "Copy"; }, 2000);
        };
        input.focus();
        input.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () { done(false); });
        } else {
          let ok = false;
          try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
          done(ok);
        }
      });
    });
  }

  // New asset: the file picker offers the files the chosen kind takes, and help meant for one
  // kind (the email placeholders) shows while that kind is chosen.
  function kindAccept() {
    each("form[data-kind-accept]", function (form) {
      const accept = JSON.parse(form.dataset.kindAccept);
      const file = form.querySelector('input[type="file"][name="file"]');
      const showFor = function (kind) {
        each("[data-kind-only]", function (el) { el.hidden = el.dataset.kindOnly !== kind; }, form);
      };
      each('input[name="kind"]', function (radio) {
        radio.addEventListener("change", function () {
          if (radio.checked && file) file.accept = accept[radio.value] || "";
          if (radio.checked) showFor(radio.value);
        });
        if (radio.checked) showFor(radio.value);
      }, form);
    });
  }

  // Brand kit: show a chosen logo before it is uploaded; show the colour's code.
  function brandKit() {
    each("input[data-logo-input]", function (input) {
      const variant = input.dataset.logoInput;
      const img = document.querySelector('img[data-ze-live="' + variant + '"]');
      const none = document.querySelector('[data-logo-none="' + variant + '"]');
      let url = null;
      input.addEventListener("change", function () {
        if (!img || !input.files || !input.files[0]) return;
        if (url) URL.revokeObjectURL(url);
        url = URL.createObjectURL(input.files[0]);
        img.src = url;
        img.hidden = false;
        img.alt = "Chosen logo (not saved yet)";
        if (none) none.hidden = true;
        // The choice is saved with the rest of the kit: say so where the logo shows.
        const pending = document.querySelector('[data-logo-pending="' + variant + '"]');
        if (pending) pending.hidden = false;
      });
    });
    each("input[data-color-text]", function (input) {
      const out = document.getElementById(input.dataset.colorText);
      input.addEventListener("input", function () { if (out) out.textContent = input.value; });
    });
  }

  // "Your downloads": a download happens in the background of the page, so the count is read
  // again from the server (which counts what it served) until it changes.
  function downloadCount() {
    const out = document.querySelector("[data-download-count]");
    if (!out) return;
    let timer = null;
    const read = function () {
      return fetch(out.dataset.downloadCount, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (data) { return data.items.reduce(function (n, row) { return n + row.downloads; }, 0); });
    };
    each("a[download]", function (link) {
      link.addEventListener("click", function () {
        const before = Number(out.textContent) || 0;
        let tries = 0;
        clearTimeout(timer);
        const poll = function () {
          tries += 1;
          read().then(function (count) {
            out.textContent = String(count);
            if (count === before && tries < 8) timer = setTimeout(poll, 750 * tries);
          }, function () {
            if (tries < 8) timer = setTimeout(poll, 750 * tries);
          });
        };
        timer = setTimeout(poll, 600);
      });
    }, out.closest("section") || document);
  }

  // Batch render: poll the job every second until it is done, then offer the zip.
  function jobProgress() {
    const box = document.querySelector("[data-job-url]");
    if (!box || box.dataset.finished === "true") return;
    const bar = box.querySelector("progress");
    const text = box.querySelector('[data-job="text"]');
    const download = box.querySelector('[data-job="download"]');
    const failures = box.querySelector('[data-job="failures"]');
    const list = failures.querySelector("ul");
    let misses = 0;

    function show(job) {
      bar.max = Math.max(job.total, 1);
      bar.value = job.done;
      bar.textContent = job.done + " of " + job.total;
      if (job.status === "done") {
        text.textContent = "Done: " + job.done + " of " + job.total + (job.failures.length ? ", " + job.failures.length + " not rendered." : ".");
      } else if (job.status === "failed") {
        text.textContent = "Failed: no partner could be rendered.";
      } else {
        text.textContent = job.done + " of " + job.total + " rendered…";
      }
      list.textContent = "";
      job.failures.forEach(function (f) {
        const li = document.createElement("li");
        const strong = document.createElement("strong");
        strong.textContent = f.partner || ("Partner " + f.partner_id);
        li.append(strong, ": " + f.error);
        list.append(li);
      });
      failures.hidden = job.failures.length === 0;
      if (job.download_url) {
        download.querySelector("a").href = job.download_url;
        download.hidden = false;
      }
    }

    function poll() {
      fetch(box.dataset.jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (job) {
          misses = 0;
          show(job);
          if (job.status !== "done" && job.status !== "failed") setTimeout(poll, 1000);
        })
        .catch(function () {
          misses += 1;
          if (misses < 10) setTimeout(poll, 2000);
          else text.textContent = "Lost contact with the server. Reload the page to see the progress.";
        });
    }
    setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    autosubmit();
    imageFallbacks();
    copyButtons();
    kindAccept();
    brandKit();
    downloadCount();
    jobProgress();
  });
})();
