/* The staff console's small interactions (Alpine components). Loaded before Alpine (both
   deferred, in order), so the components are registered on alpine:init. */
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
    toggleAll(event) {
      const boxes = this.$root.querySelectorAll("input[name=ids]");
      this.selected = event.target.checked ? Array.from(boxes, (b) => b.value) : [];
    },
  }));
});

/* Opening hours: copy Monday's hours to Tuesday–Friday (most stations keep office hours). */
window.copyMondayToWeekdays = (form) => {
  const monday = form.querySelector("[name=day_0]");
  for (let day = 1; day <= 4; day += 1) {
    const field = form.querySelector(`[name=day_${day}]`);
    if (field && monday) field.value = monday.value;
  }
};
