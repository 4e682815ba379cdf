/* The staff console's small interactions (Alpine components). Loaded before Alpine (both
   deferred, in order), so the components are registered on alpine:init.

   Alpine is its CSP build (the Content-Security-Policy allows no eval): attribute expressions
   may read and assign data and call methods, but not define functions or use statements, so
   anything more lives in a component here. No inline on* handlers either: see the listeners
   at the end. */
document.addEventListener("alpine:init", () => {
  /* A results table with row checkboxes: 修改 needs exactly one row, 删除 at least one. */
  window.Alpine.data("consoleTable", (editTemplate, deleteTemplate = "") => ({
    selected: [],
    reset() { this.selected = []; },
    urlFor(template) {
      return this.selected.length === 1 && template
        ? template.replace("/0/", `/${this.selected[0]}/`) : "#";
    },
    editUrl() { return this.urlFor(editTemplate); },
    deleteUrl() { return this.urlFor(deleteTemplate); },
    /* 修改/删除 links do nothing until exactly one row is ticked. */
    needsOne(event) { if (this.selected.length !== 1) event.preventDefault(); },
    toggleAll(event) {
      const boxes = this.$root.querySelectorAll("input[name=ids]");
      this.selected = event.target.checked ? Array.from(boxes, (b) => b.value) : [];
    },
  }));

  /* An upload form: the buttons are disabled after the browser has read their name/value. */
  window.Alpine.data("uploadForm", () => ({
    busy: false,
    submitting() { setTimeout(() => { this.busy = true; }); },
  }));

  /* Opening hours: copy Monday's hours to Tuesday–Friday (most stations keep office hours). */
  window.Alpine.data("hoursForm", () => ({
    copyMonday() {
      const monday = this.$root.querySelector("[name=day_0]");
      for (let day = 1; day <= 4; day += 1) {
        const field = this.$root.querySelector(`[name=day_${day}]`);
        if (field && monday) field.value = monday.value;
      }
    },
  }));
});

/* <form data-confirm="…">: ask before sending (deleting a photo, ending a change). */
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
}, true);

/* <select data-autosubmit>: choosing sends the form (the district and area pickers). */
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.requestSubmit();
  }
});

/* <select data-navigate>: each option's value is the page to go to (the year and area pickers). */
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-navigate") && field.value) {
    window.location.assign(field.value);
  }
});

/* Every wide table scrolls inside its own region (.table-scroll): keyboard users can reach and
   scroll it (tabindex) and screen readers hear what it holds (the table's caption, else the
   nearest heading above it). A template that labels its region itself keeps its own words.
   Here once rather than in each app's templates, so a new page's table is covered too (axe's
   scrollable-region-focusable, tests/e2e/test_console_phone.py). */
function nearestHeading(element) {
  for (let el = element; el && el !== document.body; el = el.parentElement) {
    for (let prev = el.previousElementSibling; prev; prev = prev.previousElementSibling) {
      if (/^H[1-6]$/.test(prev.tagName)) return prev;
      const inner = prev.querySelectorAll("h1, h2, h3, h4, h5, h6");
      if (inner.length) return inner[inner.length - 1];
    }
  }
  return document.querySelector("h1");
}

function labelScrollRegions(root) {
  root.querySelectorAll(".table-scroll:not([tabindex])").forEach((region) => {
    region.tabIndex = 0;
    if (!region.hasAttribute("role")) region.setAttribute("role", "region");
    if (region.hasAttribute("aria-label") || region.hasAttribute("aria-labelledby")) return;
    const source = region.querySelector("caption") || nearestHeading(region);
    const text = source ? source.textContent.replace(/\s+/g, " ").trim() : "";
    region.setAttribute("aria-label", text || document.title);
  });
}

document.addEventListener("DOMContentLoaded", () => labelScrollRegions(document));
document.addEventListener("htmx:afterSwap", (event) => labelScrollRegions(event.target));
