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
