// Markbook's small script: CSRF header for htmx requests, confirmation prompts, and the
// display preferences applied at once when the account page saves them (ACC-7).
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (token) event.detail.headers["X-CSRFToken"] = token.value;
});
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
document.addEventListener("markbook:display", (event) => {
  const html = document.documentElement;
  for (const name of ["data-text-size", "data-font", "data-contrast", "data-motion"]) {
    const value = event.detail[name];
    if (value) html.setAttribute(name, value);
    else html.removeAttribute(name);
  }
});
// Signing out forgets the markbook cells this browser still holds (ASM-3: ids and values
// kept until saved, cleared at sign-out), from the layout's form or allauth's own page.
document.addEventListener("submit", (event) => {
  const action = event.target.getAttribute("action") || window.location.pathname;
  if (!action.includes("/accounts/logout/")) return;
  for (const name of Object.keys(window.localStorage)) {
    if (name.startsWith("markbook.cells:")) window.localStorage.removeItem(name);
  }
});
