// Copy button of the show-once token page (accounts/token_created.html): no inline script.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    document.execCommand("copy"); // plain http or an old browser: the selection is copied
  }
  button.textContent = button.dataset.copied;
});
