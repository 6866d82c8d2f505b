// "/" focuses the top bar's search box (issue 15), unless the person is typing somewhere.
(() => {
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const here = document.activeElement;
    const typing =
      here &&
      (here.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(here.tagName));
    const box = document.getElementById("site-search");
    if (typing || !box) return;
    event.preventDefault();
    box.focus();
  });
})();
